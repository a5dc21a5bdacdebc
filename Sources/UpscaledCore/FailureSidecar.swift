/// The JSON written next to a file in `failed/` or `quarantine/`: why it is there, in one line a
/// user can act on, plus details for a bug report. Written atomically before the file is moved,
/// so a file in `failed/` always has its reason.
public struct FailureSidecar: Sendable, Codable, Equatable {
    /// A stable short code (`undecodable`, `not-an-image`, `too-large`…) for scripts and metrics;
    /// in the JSON, its raw string.
    public var code: FailureCode
    /// One line: what went wrong and what to do.
    public var reason: String
    /// The file's path relative to the inbox when it was claimed (lossy for non-UTF-8 names).
    public var file: String
    /// The exact bytes of that path, base64, so non-UTF-8 names can be restored exactly.
    public var fileBytesBase64: String
    public var engine: String
    /// When it was filed, ISO 8601 UTC.
    public var filedAt: String
    /// Free-form details (engine error text, declared size, …).
    public var details: [String: String]

    public init(code: FailureCode, reason: String, file: String, fileBytesBase64: String, engine: String,
                filedAt: String, details: [String: String] = [:]) {
        self.code = code
        self.reason = reason
        self.file = file
        self.fileBytesBase64 = fileBytesBase64
        self.engine = engine
        self.filedAt = filedAt
        self.details = details
    }
}
