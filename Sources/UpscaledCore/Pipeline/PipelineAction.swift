import SystemPackage

/// One job handed to a worker.
public struct PipelineJob<Claim: Sendable>: Sendable {
    /// Inbox-relative path of the file.
    public var path: FilePath
    /// A job recovered from the journal (already claimed), or nil: claim it first.
    public var claim: Claim?
    /// Non-nil for a file written in place (it may still be incomplete): its failed decodes so far.
    public var incompleteHistory: IncompleteFilePolicy.History?

    public init(path: FilePath, claim: Claim? = nil, incompleteHistory: IncompleteFilePolicy.History? = nil) {
        self.path = path
        self.claim = claim
        self.incompleteHistory = incompleteHistory
    }
}

/// Something the pipeline's actor must do because of an event; `PipelineMachine` only decides.
public enum PipelineAction<Claim: Sendable>: Sendable {
    /// `stat` the file (on an I/O thread), then report `looked`.
    case look(FilePath)
    /// Call `timerFired(path, timer)` at wall-clock time `at` (replacing the path's timer).
    case startTimer(FilePath, timer: UInt64, at: Double)
    /// The path's timer is no longer wanted.
    case cancelTimer(FilePath)
    /// Give this job to one of the waiting workers.
    case dispatch(PipelineJob<Claim>)
    /// Stopping: every waiting worker ends.
    case releaseWorkers
    /// Check this pause cause with its own probe and backoff (restarting a running one).
    case startProbe(PauseState.Cause)
    case stopProbe(PauseState.Cause)
    /// Tell the user (the journal).
    case announce(PipelineAnnouncement)
    /// The counters changed: publish them (coalesced by the status board).
    case publish
}

extension PipelineJob: Equatable where Claim: Equatable {}
extension PipelineAction: Equatable where Claim: Equatable {}

/// What the pipeline tells the user about pausing (logged by the actor).
public enum PipelineAnnouncement: Sendable, Equatable {
    /// A new cause stopped work.
    case paused(String)
    /// `lifted` works again, but another cause still holds work.
    case stillPaused(lifted: PauseState.Cause, still: String)
    /// Work goes on.
    case resumed(note: String?)
}

/// What `upscaled status` and `STATUS=` show of the pipeline.
public struct PipelineCounters: Sendable, Equatable {
    public var queued = 0
    public var inFlight = 0
    public var done = 0
    public var failed = 0
    public var quarantined = 0
    public var overflows = 0
    public var lastError: String?
    public var paused: String?
    public var note: String?

    public init() {}
}
