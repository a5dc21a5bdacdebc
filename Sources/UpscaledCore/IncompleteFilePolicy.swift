/// Whether a file written in place that does not decode is looked at again or filed as failed.
///
/// "Stable is not complete": a writer can pause mid-file for longer than the quiet window (an
/// SMB client between sessions, a stalled upload), and the half file then fails to decode.
/// Such a file goes back to the inbox and is tried again a few seconds later. It is tried at
/// least `minimumRetries` times, and beyond that for as long as it changed within the last
/// `graceSeconds`; `maximumRetries` bounds it even when the clock says otherwise (a NAS whose
/// clock runs ahead makes every mtime look fresh). A file that arrived by `rename` is complete by
/// definition and never gets here.
public struct IncompleteFilePolicy: Sendable, Equatable {
    public var minimumRetries: Int
    public var graceSeconds: Double
    public var maximumRetries: Int

    public init(minimumRetries: Int = 3, graceSeconds: Double = 60, maximumRetries: Int = 25) {
        self.minimumRetries = minimumRetries
        self.graceSeconds = graceSeconds
        self.maximumRetries = maximumRetries
    }

    /// - Parameters:
    ///   - failures: how many times this file has already failed to decode.
    ///   - modifiedSecondsAgo: now minus the file's mtime (negative if the mtime is in the future).
    public func retries(afterFailures failures: Int, modifiedSecondsAgo: Double) -> Bool {
        if failures < minimumRetries { return true }
        return failures < maximumRetries && modifiedSecondsAgo < graceSeconds
    }
}
