import SystemPackage

/// How one job ended, from the pipeline's point of view.
public enum JobOutcome: Sendable, Equatable {
    /// The result is durable in the outbox; the original is archived or deleted. `finished`:
    /// sizes and where the original went (the job history's), when known.
    case done(output: FilePath, finished: FinishedJob? = nil)
    /// The original is in `failed/` with a sidecar.
    case failed(code: FailureCode, reason: String)
    /// The original is in `quarantine/` with a sidecar.
    case quarantined(code: FailureCode, reason: String)
    /// The original is back in the inbox (or was never taken): try again after a pause.
    case deferred(reason: String)
    /// The engine cannot work (key rejected…): the file is back in the inbox and the pipeline pauses.
    case paused(reason: String)
    /// The place cannot take results (disk full, read-only, permission denied): the file is back
    /// in the inbox and the pipeline pauses until a test write to the outbox succeeds.
    case stalled(reason: String)
    /// Not decodable yet, but written in place: back in the inbox, looked at again soon;
    /// `history` is what this look saw, for the next one.
    case retrySoon(reason: String, history: IncompleteFilePolicy.History)
    /// The file was gone before it could be claimed (moved away, deleted, claimed by a twin event).
    case vanished
}
