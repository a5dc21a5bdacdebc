/// Whether a file written in place that does not decode is looked at again or filed as failed.
///
/// "Stable is not complete": a writer can pause mid-file for longer than the quiet window (an
/// SMB client between sessions, a stalled upload), and the half file then fails to decode.
/// Such a file goes back to the inbox and is tried again a few seconds later.
///
/// What earns more time is evidence of a writer, not the clock: a file whose size and mtime
/// stayed the same over `unchangedRetries` looks is judged then (a corrupt file written once
/// reaches `failed/` within seconds), while a file that changed between two looks starts its
/// count again. `maximumRetries` bounds the whole, so a file rewritten forever still ends. Host
/// clocks play no part: a NAS whose clock runs ahead or behind changes nothing. A file that
/// arrived by `rename` is complete by definition and never gets here.
public struct IncompleteFilePolicy: Sendable, Equatable {
    /// What the earlier looks at one file saw.
    public struct History: Sendable, Equatable {
        /// How many times it failed to decode so far.
        public var failures: Int
        /// How many of the latest failures in a row saw the same size and mtime as the one before.
        public var unchangedFailures: Int
        /// Size and mtime at the latest failure; nil before the first.
        public var lastSize: Int64?
        public var lastModified: Double?

        public init(failures: Int = 0, unchangedFailures: Int = 0, lastSize: Int64? = nil, lastModified: Double? = nil) {
            self.failures = failures
            self.unchangedFailures = unchangedFailures
            self.lastSize = lastSize
            self.lastModified = lastModified
        }

        /// No look has failed yet.
        public static let noFailures = History()
    }

    public enum Verdict: Sendable, Equatable {
        /// Put it back and look again soon; remember `history` for the next look.
        case retry(History)
        /// Judge it as it is: the decode failure is real.
        case judge
    }

    public var unchangedRetries: Int
    public var maximumRetries: Int

    public init(unchangedRetries: Int = 3, maximumRetries: Int = 25) {
        self.unchangedRetries = unchangedRetries
        self.maximumRetries = maximumRetries
    }

    /// One more failed decode of a file that had `size` and `modified` (its mtime) when claimed.
    public func afterFailure(_ history: History, size: Int64, modified: Double) -> Verdict {
        let changed = history.lastSize != size || history.lastModified != modified
        let seen = history.lastSize != nil
        var next = history
        next.failures += 1
        next.unchangedFailures = seen && !changed ? history.unchangedFailures + 1 : 0
        next.lastSize = size
        next.lastModified = modified
        guard next.failures <= maximumRetries, next.unchangedFailures < unchangedRetries else { return .judge }
        return .retry(next)
    }
}
