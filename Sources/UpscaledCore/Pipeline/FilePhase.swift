/// What the pipeline saw of a file at one look (a `stat`): enough to tell whether it changed.
public struct FileLook: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular
        case directory
        /// A symlink, FIFO, socket or device: never opened, judged (and failed) at once.
        case other
    }

    public var kind: Kind
    public var size: Int64
    /// The mtime, seconds since the epoch (the file server's clock).
    public var modified: Double

    public init(kind: Kind, size: Int64, modified: Double) {
        self.kind = kind
        self.size = size
        self.modified = modified
    }

    /// Same size and mtime: nobody wrote to it in between.
    public func isUnchanged(since other: FileLook) -> Bool {
        size == other.size && modified == other.modified
    }
}

/// Where one inbox path is in its life inside the pipeline. A path is in exactly one phase at a
/// time (or unknown to the pipeline), so duplicate events merge by construction.
///
///     (unknown) ──observed──▶ looking ──looked: settled──▶ ready ──worker──▶ inFlight ──ended──▶ (unknown)
///                               ▲  │                                              │
///                               │  └─looked: not quiet yet─▶ settling            │ revisit / retry
///                               └────────────timer────────────────┘  ◀────────────┘
public enum FilePhase: Sendable, Equatable {
    /// A look (`stat` on an I/O thread) is under way. `previous` is what the look before it saw.
    case looking(arrival: SettleDecision.Arrival, previous: FileLook?)
    /// Waiting for a timer (`timer`) to look again: the quiet window, or a retry delay.
    case settling(arrival: SettleDecision.Arrival, seen: FileLook, timer: UInt64)
    /// Settled: waiting in the FIFO for a worker.
    case ready
    /// A worker has it. `revisit` is set when an event for the path came meanwhile: it can only
    /// be a new file (the old one was renamed away when claimed), looked at when the job ends.
    case inFlight(revisit: Bool)
}

/// One path the pipeline knows: its phase, and what it remembers across phases.
struct TrackedFile<Claim: Sendable>: Sendable {
    var phase: FilePhase
    /// Not to be looked at as ready before this time (a file put back for a while).
    var retryAfter: Double?
    /// Queued after being written in place (or found by a scan), not moved in: may be incomplete.
    var writtenInPlace = false
    /// What its failed decodes saw so far, while it may still be incomplete.
    var decodeHistory: IncompleteFilePolicy.History?
    /// A job recovered from the journal: already claimed.
    var recovered: Claim?

    init(phase: FilePhase) { self.phase = phase }
}
