/// What the daemon is doing, as written to the status file that `upscaled status` reads and
/// summarised in systemd's `STATUS=`.
public struct StatusSnapshot: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case starting, idle, working, reloading, stopping, stopped, paused }

    public var pid: Int32
    public var state: State
    /// How changes are noticed: "inotify", "polling (<why>)", "waiting for inbox", or "once".
    public var mode: String
    public var engine: String
    public var target: String
    public var queued: Int
    public var inFlight: Int
    public var done: Int
    public var failed: Int
    public var quarantined: Int
    public var overflows: Int
    public var lastError: String?
    /// What the engine reports about itself ("balance 12.50 credits"), or why it is paused.
    public var note: String?
    /// How far each long job has come (the AI engine's tiles), by inbox-relative name; absent
    /// when no job reports progress (and in status files of earlier versions).
    public var progress: [JobProgress]?
    /// The page's address once its server listens (`http://127.0.0.1:8754`, or a socket path);
    /// absent when it is off or could not listen.
    public var web: String?
    /// The file holding the page's token (for `upscaled web`, which may not see the daemon's environment).
    public var webTokenFile: String?
    public var startedAt: String
    public var updatedAt: String

    public init(pid: Int32, state: State, mode: String, engine: String, target: String, queued: Int = 0,
                inFlight: Int = 0, done: Int = 0, failed: Int = 0, quarantined: Int = 0, overflows: Int = 0,
                lastError: String? = nil, startedAt: String, updatedAt: String) {
        self.pid = pid
        self.state = state
        self.mode = mode
        self.engine = engine
        self.target = target
        self.queued = queued
        self.inFlight = inFlight
        self.done = done
        self.failed = failed
        self.quarantined = quarantined
        self.overflows = overflows
        self.lastError = lastError
        self.startedAt = startedAt
        self.updatedAt = updatedAt
    }

    /// The one line for `STATUS=` and `systemctl status`.
    public var line: String {
        var text = "\(state.rawValue): \(queued) queued, \(inFlight) working; done \(done), failed \(failed), "
            + "quarantined \(quarantined); \(engine) \(target), \(mode)"
        if overflows > 0 { text += ", \(overflows) overflow rescans" }
        if let progress, !progress.isEmpty {
            text += "; " + progress.map { "\($0.file) \($0.done)/\($0.total) tiles" }.joined(separator: ", ")
        }
        if let note { text += "; \(note)" }
        if let lastError { text += "; last error: \(lastError)" }
        return text
    }
}

/// One job's progress: `done` of `total` steps (the AI engine: tiles).
public struct JobProgress: Sendable, Codable, Equatable {
    public var file: String
    public var done: Int
    public var total: Int

    public init(file: String, done: Int, total: Int) {
        self.file = file
        self.done = done
        self.total = total
    }
}
