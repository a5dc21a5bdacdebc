import Logging
import NIOPosix
import ServiceLifecycle
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// Decides what to do with each file the watcher or a scan reports, and runs the jobs.
///
/// Detection never waits on work: `observe` only records the path; settled files wait in a
/// FIFO, and a fixed number of workers take them one at a time. One path is never in two
/// places at once (pending, ready or in flight), so duplicate events merge; an event for a
/// path whose job is running is remembered and looked at again when the job ends (it can
/// only be a new file, because the old one was renamed away when claimed).
public actor Pipeline {
    struct Pending {
        var arrival: SettleDecision.Arrival
        var size: Int64
        var modified: Double
        var timer: Task<Void, Never>?
    }

    let runner: JobRunner
    let io: NIOThreadPool
    let layout: FolderLayout
    private let status: StatusBoard
    let logger: Logger
    private let workers: Int
    private var settings: JobSettings
    private var quietWindow: Double
    private var minimumQuietWindow: Double = 0
    /// The cloud engines' backoff base, in seconds (the pause check starts at 15x it).
    let retryBaseSeconds: Double
    private var ignore: IgnoreRules

    private var pending: [FilePath: Pending] = [:]
    private var ready: [FilePath] = []
    private var readyHead = 0
    private var queued: Set<FilePath> = []
    private var inFlight: Set<FilePath> = []
    private var revisit: Set<FilePath> = []
    private var observing: [FilePath: SettleDecision.Arrival] = [:]
    private var retryAfter: [FilePath: Double] = [:]
    var waitingWorkers: [CheckedContinuation<FilePath?, Never>] = []
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    var stopping = false
    /// Jobs recovered from the journal, already claimed, keyed by their inbox-relative path.
    private var resumable: [FilePath: JobRunner.Claim] = [:]
    /// Files queued after being written in place (not moved in): they may still be incomplete.
    private var writtenInPlace: Set<FilePath> = []
    /// What the failed decodes of a file written in place saw so far (see `IncompleteFilePolicy`).
    private var decodeRetries: [FilePath: IncompleteFilePolicy.History] = [:]
    static let decodeRetryDelay: Double = 3
    /// Why work is paused (a rejected key, a full disk): workers wait, files stay in the inbox.
    var pauses = PauseState()
    var pauseWaiters: [CheckedContinuation<Void, Never>] = []
    /// The running probe of each pause cause.
    var probes: [PauseState.Cause: Task<Void, Never>] = [:]
    var engineNote: String?
    private var counts = (done: 0, failed: 0, quarantined: 0, overflows: 0)
    private var lastError: String?
    /// In `--once` mode a file put back is left for the next run instead of retried.
    private let retriesDeferred: Bool

    /// How long a file put back for an environmental reason waits before it is tried again.
    static let retryDelay: Double = 30

    public init(runner: JobRunner, io: NIOThreadPool, layout: FolderLayout, status: StatusBoard, config: DaemonConfig,
                logger: Logger, retriesDeferred: Bool = true) {
        self.retriesDeferred = retriesDeferred
        self.runner = runner
        self.io = io
        self.layout = layout
        self.status = status
        self.logger = logger
        self.workers = config.workers
        self.settings = JobSettings(config: config)
        self.quietWindow = Double(config.quietWindowMilliseconds) / 1000
        self.ignore = IgnoreRules(extraSuffixes: config.ignoreSuffixes)
        self.retryBaseSeconds = Double(config.stability.retryBaseMilliseconds) / 1000
    }

    // MARK: - Input

    /// A file was noticed at inbox-relative `relative`.
    public func observe(_ relative: FilePath, arrival: SettleDecision.Arrival) async {
        guard !stopping else { return }
        if inFlight.contains(relative) { revisit.insert(relative); return }
        if queued.contains(relative) { return }
        if var entry = pending[relative] {
            if arrival == .movedIn { entry.arrival = .movedIn; pending[relative] = entry }
            await look(relative)
            return
        }
        if let previous = observing[relative] {
            // A look is already under way (stat on an I/O thread): merge, keeping the strongest arrival.
            if arrival == .movedIn && previous != .movedIn { observing[relative] = .movedIn }
            return
        }
        observing[relative] = arrival
        await look(relative)
    }

    /// Everything under `relative` (the whole inbox when empty), as found by a scan.
    public func scan(_ relative: FilePath = FilePath(""), reason: String) async {
        let inbox = layout.inbox
        let ignore = self.ignore
        let files = (try? await io.runIfActive { InboxScanner.scan(inbox: inbox, under: relative, ignore: ignore) }) ?? []
        if !files.isEmpty {
            logger.info("\(reason): \(files.count) file(s) found", metadata: ["upscaled.scan": "\(relative.display)"])
        }
        for file in files { await observe(file, arrival: .foundByScan) }
        publish()
    }

    public func noteOverflow() async {
        counts.overflows += 1
        logger.warning("the inotify queue overflowed; rescanning the inbox (raise fs.inotify.max_queued_events if this repeats)")
        await scan(reason: "rescan after overflow")
    }

    public func noteError(_ message: String?) {
        lastError = message
        publish()
    }

    /// Polling needs a longer quiet window: a file must look unchanged across two scans.
    public func setMinimumQuietWindow(_ seconds: Double) {
        minimumQuietWindow = seconds
    }

    /// Looks at the file now and decides: take it, wait, or forget it.
    private func look(_ relative: FilePath) async {
        let path = layout.join(layout.inbox, relative)
        let status = try? await io.runIfActive { try FileOperations.statusIfPresent(path) }
        let arrival = observing.removeValue(forKey: relative) ?? pending[relative]?.arrival ?? .foundByScan
        guard !stopping, !queued.contains(relative), !inFlight.contains(relative) else { return }
        guard let status = status ?? nil, status.kind != .directory else {
            forget(relative)                      // gone (or a folder): nothing to do
            decodeRetries[relative] = nil
            writtenInPlace.remove(relative)
            return
        }
        let now = WallClock.now()
        if let until = retryAfter[relative], now < until {
            schedule(relative, at: until, arrival: arrival, status: status)
            return
        }
        retryAfter[relative] = nil
        let previous = pending[relative]
        let unchanged = previous.map { $0.size == status.size && $0.modified == status.modified } ?? true
        // Symlinks, FIFOs and devices are judged without waiting: they are never opened.
        let decision = status.kind == .regular
            ? SettleDecision.decide(arrival: arrival, modified: status.modified, unchangedSinceLastLook: unchanged,
                                    now: now, quietWindow: max(quietWindow, minimumQuietWindow))
            : .ready
        switch decision {
        case .ready:
            forget(relative)
            // Our own put-back arrives as a rename too: a file looked at again because it did not
            // decode keeps being treated as written in place.
            if arrival == .movedIn && decodeRetries[relative] == nil {
                writtenInPlace.remove(relative)
            } else {
                writtenInPlace.insert(relative)
            }
            enqueue(relative)
        case .recheck(let at):
            schedule(relative, at: at, arrival: arrival, status: status)
        }
    }

    private func schedule(_ relative: FilePath, at time: Double, arrival: SettleDecision.Arrival, status: FileOperations.Status) {
        pending[relative]?.timer?.cancel()
        let delay = max(0.001, time - WallClock.now())
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 1))
            guard !Task.isCancelled else { return }
            await self?.timerFired(relative)
        }
        pending[relative] = Pending(arrival: arrival, size: status.size, modified: status.modified, timer: timer)
        publish()
    }

    private func timerFired(_ relative: FilePath) async {
        guard pending[relative] != nil else { return }
        await look(relative)
    }

    private func forget(_ relative: FilePath) {
        if let entry = pending.removeValue(forKey: relative) { entry.timer?.cancel() }
    }

    private func enqueue(_ relative: FilePath) {
        queued.insert(relative)
        if !pauses.isPaused, let worker = waitingWorkers.popLast() {
            queued.remove(relative)
            inFlight.insert(relative)
            worker.resume(returning: relative)
        } else {
            ready.append(relative)
        }
        publish()
    }

    // MARK: - Workers

    /// The next file to process, or nil when stopping.
    private func nextJob() async -> FilePath? {
        while pauses.isPaused && !stopping {
            await withCheckedContinuation { pauseWaiters.append($0) }
        }
        if stopping { return nil }
        if let next = takeReady() {
            publish()
            return next
        }
        checkIdle()
        return await withCheckedContinuation { waitingWorkers.append($0) }
    }

    /// Moves the oldest ready file to in flight (compacting the FIFO now and then).
    func takeReady() -> FilePath? {
        guard readyHead < ready.count else { return nil }
        let next = ready[readyHead]
        readyHead += 1
        if readyHead > 1024 && readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
        queued.remove(next)
        inFlight.insert(next)
        return next
    }

    private func finished(_ relative: FilePath, outcome: JobOutcome) async {
        inFlight.remove(relative)
        switch outcome {
        case .done: counts.done += 1; decodeRetries[relative] = nil; writtenInPlace.remove(relative)
        case .failed(_, let reason): counts.failed += 1; lastError = reason; decodeRetries[relative] = nil; writtenInPlace.remove(relative)
        case .quarantined: counts.quarantined += 1; decodeRetries[relative] = nil; writtenInPlace.remove(relative)
        case .deferred(let reason):
            lastError = reason
            if retriesDeferred {
                retryAfter[relative] = WallClock.now() + Self.retryDelay
                revisit.insert(relative)
            }
        case .stalled(let reason):
            lastError = reason
            pause(reason, probe: .outboxWritable)
            revisit.insert(relative)
        case .retrySoon(let reason, let history):
            lastError = reason
            decodeRetries[relative] = history
            retryAfter[relative] = WallClock.now() + Self.decodeRetryDelay
            revisit.insert(relative)
        case .paused(let reason):
            pause(reason)
            revisit.insert(relative)                    // it is back in the inbox; taken again after the resume
        case .vanished: decodeRetries[relative] = nil; writtenInPlace.remove(relative)
        }
        publish()
        if revisit.remove(relative) != nil { await observe(relative, arrival: .foundByScan) }
        checkIdle()
    }

    private var currentSettings: JobSettings { settings }

    /// Runs the workers until graceful shutdown; in-flight jobs finish, queued files stay in the inbox.
    public func runWorkers() async {
        let count = workers
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask {
                    while let relative = await self.nextJob() {
                        let resuming = await self.takeResumable(relative)
                        let failures = await self.decodeFailures(relative)
                        let outcome = await self.runner.process(relative, settings: await self.currentSettings, resuming: resuming,
                                                                incompleteHistory: failures,
                                                                pause: { reason in await self.pause(reason) })
                        await self.finished(relative, outcome: outcome)
                    }
                }
            }
        }
    }

    /// Stops taking new work: waiting workers end, timers stop. Files not yet claimed stay in the inbox.
    public func stop() {
        stopping = true
        runner.engine.beginShutdown()
        for probe in probes.values { probe.cancel() }
        probes.removeAll()
        for waiter in pauseWaiters { waiter.resume() }
        pauseWaiters.removeAll()
        for worker in waitingWorkers { worker.resume(returning: nil) }
        waitingWorkers.removeAll()
        for (_, entry) in pending { entry.timer?.cancel() }
        pending.removeAll()
        checkIdle(force: true)
    }

    // MARK: - Idle (for --once)

    /// Returns once nothing is pending, queued or in flight.
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private var isIdle: Bool {
        pending.isEmpty && readyHead >= ready.count && inFlight.isEmpty && observing.isEmpty && !pauses.isPaused
    }

    func checkIdle(force: Bool = false) {
        guard force || isIdle else { return }
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters.removeAll()
    }

    // MARK: - Settings and status

    public func update(config: DaemonConfig) {
        settings = JobSettings(config: config)
        quietWindow = Double(config.quietWindowMilliseconds) / 1000
        ignore = IgnoreRules(extraSuffixes: config.ignoreSuffixes)
        publish()
    }

    public struct Counters: Sendable, Equatable {
        public var queued: Int
        public var inFlight: Int
        public var done: Int
        public var failed: Int
        public var quarantined: Int
        public var overflows: Int
        public var lastError: String?
        public var paused: String?
        public var note: String?
    }

    public var counters: Counters {
        Counters(queued: (ready.count - readyHead) + pending.count, inFlight: inFlight.count, done: counts.done,
                 failed: counts.failed, quarantined: counts.quarantined, overflows: counts.overflows, lastError: lastError,
                 paused: pauses.reason, note: engineNote)
    }

    func publish() {
        status.update(counters: counters)
    }

    // MARK: - Recovered jobs

    /// Queues a job recovered from the journal (already claimed; its generation is polled again).
    func resume(_ claim: JobRunner.Claim) {
        resumable[claim.relative] = claim
        enqueue(claim.relative)
    }

    /// How often a file written in place has failed to decode so far; nil for a file that was
    /// moved in (complete by definition: a decode failure is final at once).
    private func decodeFailures(_ relative: FilePath) -> IncompleteFilePolicy.History? {
        writtenInPlace.contains(relative) ? decodeRetries[relative, default: .none] : nil
    }

    private func takeResumable(_ relative: FilePath) -> JobRunner.Claim? {
        resumable.removeValue(forKey: relative)
    }

    /// Publishes the counters again (after the status board's state was set from outside).
    public func republish() { publish() }

    public func setEngineNote(_ note: String?) {
        engineNote = note
        publish()
    }
}
