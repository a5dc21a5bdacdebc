/// Why a file did not become a result: one stable code per cause, shared by the engines, the
/// runner, the sidecars (their `"code"`), the logs and the metrics, so no module decides by
/// comparing strings. The raw values are what users and their scripts see and filter on: never
/// rename one; add a case instead.
public enum FailureCode: String, Sendable, Codable, Equatable, Hashable, CaseIterable, CustomStringConvertible {
    // The input itself (the file goes to failed/).
    case empty
    case notAnImage = "not-an-image"
    case notARegularFile = "not-a-regular-file"
    case unreadable
    case undecodable
    case tooLarge = "too-large"
    case animated

    // The place (the file goes back to the inbox and the pipeline pauses).
    case diskFull = "disk-full"
    case writeFailed = "write-failed"

    // An engine's own state (the file goes back to the inbox).
    case engineStopped = "engine-stopped"
    case enginePaused = "engine-paused"
    case stoppedPolling = "stopped-polling"

    // An engine's result.
    case badResult = "bad-result"
    case aiFailed = "ai-failed"
    case `internal`

    // The Stability API.
    case keyRejected = "key-rejected"
    case engineNotAvailable = "engine-not-available"
    case overAPILimit = "over-api-limit"
    case payloadTooLarge = "payload-too-large"
    case rateLimited = "rate-limited"
    case generationExpired = "generation-expired"
    case creativeTimeout = "creative-timeout"
    case apiBadRequest = "api-bad-request"
    case apiNotFound = "api-not-found"
    /// Another status the API documents no meaning for; the status is in the details.
    case apiError = "api-error"
    case apiUnavailable = "api-unavailable"
    case apiUnexpected = "api-unexpected"

    // Moderation (the file goes to quarantine/).
    case contentFiltered = "content-filtered"
    case contentModeration = "content-moderation"
    /// The API refused the content (422); its own error name is in the details (`api_error`).
    case rejected

    /// The raw string, so a code reads the same in logs, metrics and messages as in sidecars.
    public var description: String { rawValue }
}
