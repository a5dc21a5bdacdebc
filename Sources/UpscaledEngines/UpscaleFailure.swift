import UpscaledCore

/// Why a job did not produce a result, and so where its file goes.
public struct UpscaleFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Disposition: String, Sendable, Equatable {
        /// The input is at fault (undecodable, too large, refused): it goes to `failed/`.
        case failInput
        /// The content was filtered: it goes to `quarantine/`.
        case quarantine
        /// The environment is at fault (disk full, engine stopping): the file goes back to the inbox.
        case retryLater
        /// The engine cannot work at all (key rejected, no credits): the file goes back to the
        /// inbox untouched and the engine pauses until its key works again.
        case pauseEngine
    }

    /// The stable code users and scripts see (`undecodable`, `too-large`…).
    public var code: FailureCode
    /// One line for the user: what went wrong and what to do.
    public var reason: String
    public var disposition: Disposition
    public var details: [String: String]
    /// An image that goes with the failure (a cloud engine's blurred answer, kept if configured).
    public var attachment: Attachment?

    public struct Attachment: Sendable, Equatable {
        public var bytes: [UInt8]
        public var format: ImageFormat

        public init(bytes: [UInt8], format: ImageFormat) {
            self.bytes = bytes
            self.format = format
        }
    }

    public init(code: FailureCode, reason: String, disposition: Disposition = .failInput, details: [String: String] = [:],
                attachment: Attachment? = nil) {
        self.code = code
        self.reason = reason
        self.disposition = disposition
        self.details = details
        self.attachment = attachment
    }

    public var description: String { "\(code): \(reason)" }
}
