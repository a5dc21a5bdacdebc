/// One finished job, as the job history keeps it (`/api/jobs`, the page's recent results):
/// what was done, when, from which file to which, by which engine, how long it took.
public struct HistoryEntry: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable, CaseIterable { case done, failed, quarantined }

    /// The job's id (as in the journal and the log's `job=`): the page addresses it by this.
    public var id: String
    public var outcome: Outcome
    /// Inbox-relative, for people (lossy for names that are not UTF-8).
    public var file: String
    /// Root-relative paths, exact bytes in base64: the result, and where the original went
    /// (archive/; absent when `after_success = "delete"`, and for failed/quarantined jobs,
    /// whose files the failed/ and quarantine/ lists show).
    public var outputBase64: String?
    public var originalBase64: String?
    public var engine: String
    /// The engine's setting: the target and model (`2x realesr-animevideov3 ...`).
    public var target: String
    public var inputWidth: Int?
    public var inputHeight: Int?
    public var width: Int?
    public var height: Int?
    public var code: String?
    public var reason: String?
    public var host: String
    /// ISO 8601 UTC.
    public var finishedAt: String
    public var seconds: Double

    public init(id: String, outcome: Outcome, file: String, engine: String, target: String, host: String,
                finishedAt: String, seconds: Double) {
        self.id = id
        self.outcome = outcome
        self.file = file
        self.engine = engine
        self.target = target
        self.host = host
        self.finishedAt = finishedAt
        self.seconds = seconds
    }
}

/// What a job that succeeded knows besides its result's path: the sizes, and where its
/// original went (nil when deleted).
public struct FinishedJob: Sendable, Equatable {
    public var inputWidth: Int
    public var inputHeight: Int
    public var width: Int
    public var height: Int
    public var original: String?

    public init(inputWidth: Int, inputHeight: Int, width: Int, height: Int, original: String?) {
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.width = width
        self.height = height
        self.original = original
    }
}
