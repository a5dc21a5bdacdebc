import SystemPackage

/// The pipeline's decisions, pure: events in (a file was noticed, a look returned, a timer
/// fired, a worker is free, a job ended, a probe passed), actions out (look, start a timer,
/// dispatch, start a probe, publish). No I/O and no clock: every event carries `now`, so the
/// life of a file is tested in milliseconds; the `Pipeline` actor executes the actions.
///
/// Each path has one `FilePhase` (see there for the diagram). What a file's life remembers
/// across phases (a retry time, its failed decodes, a recovered claim) lives in the same
/// `TrackedFile`, so forgetting a path forgets all of it. `Claim` is the runner's recovered
/// claim, opaque here.
public struct PipelineMachine<Claim: Sendable>: Sendable {
    /// How long a file put back for an environmental reason waits before it is tried again.
    public static var retryDelay: Double { 30 }
    /// How long a file that did not decode yet (written in place) waits for its next try.
    public static var decodeRetryDelay: Double { 3 }

    /// Seconds a file written in place must be left alone (`quiet_window_ms`).
    public var quietWindow: Double
    /// Polling stretches it: a file must look unchanged across two scans.
    public var minimumQuietWindow: Double = 0
    /// In `--once` mode a file put back is left for the next run instead of retried.
    public let retriesDeferred: Bool

    /// Every path the pipeline knows; written only through `store`, which keeps the counts.
    private(set) var files: [FilePath: TrackedFile<Claim>] = [:]
    /// How many known paths are settling or ready (the status's queue), and in flight.
    private var waitingCount = 0
    private var inFlightCount = 0
    /// The ready FIFO (a head index, compacted now and then, instead of O(n) removals).
    var ready: [FilePath] = []
    var readyHead = 0
    /// How many workers wait for a job right now.
    public internal(set) var waitingWorkers = 0
    public internal(set) var stopping = false
    public internal(set) var pauses = PauseState()
    public internal(set) var counters = PipelineCounters()
    var nextTimer: UInt64 = 0

    public init(quietWindow: Double, retriesDeferred: Bool = true) {
        self.quietWindow = quietWindow
        self.retriesDeferred = retriesDeferred
    }

    /// The phase of `path`, nil when the pipeline does not know it.
    public func phase(of path: FilePath) -> FilePhase? { files[path]?.phase }

    /// Nothing is being looked at, waiting, queued or running, and nothing pauses work.
    public var isIdle: Bool { files.isEmpty && !pauses.isPaused }

    // MARK: - Noticing files

    /// The watcher or a scan reported `path`.
    public mutating func observed(_ path: FilePath, arrival: SettleDecision.Arrival) -> [PipelineAction<Claim>] {
        guard !stopping else { return [] }
        guard var file = files[path] else {
            store(path, TrackedFile(phase: .looking(arrival: arrival, previous: nil)))
            return [.look(path)]
        }
        switch file.phase {
        case .inFlight:
            file.phase = .inFlight(revisit: true)
            store(path, file)
            return []
        case .ready:
            return []
        case .looking(let previousArrival, let previous):
            // A look is already under way: merge, keeping the strongest arrival.
            file.phase = .looking(arrival: Self.stronger(previousArrival, arrival), previous: previous)
            store(path, file)
            return []
        case .settling(let previousArrival, let seen, _):
            // Something happened to a waiting file: look now rather than at the timer.
            file.phase = .looking(arrival: Self.stronger(previousArrival, arrival), previous: seen)
            store(path, file)
            return [.cancelTimer(path), .look(path)]
        }
    }

    static func stronger(_ a: SettleDecision.Arrival, _ b: SettleDecision.Arrival) -> SettleDecision.Arrival {
        a == .movedIn || b == .movedIn ? .movedIn : b
    }

    /// The look at `path` returned: `look` is nil when the file is gone.
    public mutating func looked(_ path: FilePath, _ look: FileLook?, now: Double) -> [PipelineAction<Claim>] {
        guard !stopping, var file = files[path], case .looking(let arrival, let previous) = file.phase else { return [] }
        guard let look, look.kind != .directory else {
            store(path, nil)                                 // gone (or a folder): forget all of it
            return [.publish]
        }
        if let until = file.retryAfter, now < until {
            return settle(path, file, arrival: arrival, seen: look, until: until)
        }
        file.retryAfter = nil
        let unchanged = previous.map { look.isUnchanged(since: $0) } ?? true
        // Symlinks, FIFOs and devices are judged without waiting: they are never opened.
        let decision = look.kind == .regular
            ? SettleDecision.decide(arrival: arrival, modified: look.modified, unchangedSinceLastLook: unchanged,
                                    now: now, quietWindow: max(quietWindow, minimumQuietWindow))
            : .ready
        switch decision {
        case .ready:
            // Our own put-back arrives as a rename too: a file looked at again because it did
            // not decode keeps being treated as written in place.
            file.writtenInPlace = !(arrival == .movedIn && file.decodeHistory == nil)
            store(path, file)
            return enqueue(path)
        case .recheck(let at):
            return settle(path, file, arrival: arrival, seen: look, until: at)
        }
    }

    private mutating func settle(_ path: FilePath, _ file: TrackedFile<Claim>, arrival: SettleDecision.Arrival,
                                 seen: FileLook, until: Double) -> [PipelineAction<Claim>] {
        var file = file
        nextTimer += 1
        file.phase = .settling(arrival: arrival, seen: seen, timer: nextTimer)
        store(path, file)
        return [.startTimer(path, timer: nextTimer, at: until), .publish]
    }

    /// The timer `timer` of `path` fired; a timer replaced or cancelled meanwhile does nothing.
    public mutating func timerFired(_ path: FilePath, timer: UInt64) -> [PipelineAction<Claim>] {
        guard !stopping, var file = files[path], case .settling(let arrival, let seen, let current) = file.phase,
              current == timer else { return [] }
        file.phase = .looking(arrival: arrival, previous: seen)
        store(path, file)
        return [.look(path)]
    }

    /// A job recovered from the journal (already claimed) is queued.
    public mutating func recovered(_ path: FilePath, claim: Claim) -> [PipelineAction<Claim>] {
        var file = files[path] ?? TrackedFile(phase: .ready)
        file.recovered = claim
        store(path, file)
        return enqueue(path)
    }

    // MARK: - Settings and notes

    public mutating func noteError(_ message: String?) -> [PipelineAction<Claim>] {
        counters.lastError = message
        return [.publish]
    }

    public mutating func noteOverflow() -> [PipelineAction<Claim>] {
        counters.overflows += 1
        return [.publish]
    }

    /// What the engine says of itself (a balance, a model), shown while nothing pauses work.
    public mutating func setNote(_ note: String?) -> [PipelineAction<Claim>] {
        counters.note = note
        return [.publish]
    }

    /// The counters as published: queue lengths come from the phases.
    public var published: PipelineCounters {
        var shown = counters
        shown.queued = waitingCount
        shown.inFlight = inFlightCount
        shown.paused = pauses.reason
        return shown
    }

    /// The one place `files` changes, so the counts always match the phases.
    mutating func store(_ path: FilePath, _ file: TrackedFile<Claim>?) {
        if let old = files[path]?.phase { count(old, by: -1) }
        if let new = file?.phase { count(new, by: 1) }
        files[path] = file
    }

    private mutating func count(_ phase: FilePhase, by delta: Int) {
        switch phase {
        case .ready, .settling: waitingCount += delta
        case .inFlight: inFlightCount += delta
        case .looking: break
        }
    }
}
