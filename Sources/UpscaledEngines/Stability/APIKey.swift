import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The Stability API key. Its description is redacted, so it can never reach a log line, the
/// status, a sidecar or an error message by accident; only `bearer` reveals it, for the header.
public struct APIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init?(_ value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, !trimmed.contains("\n") else { return nil }
        self.value = trimmed
    }

    /// `Bearer <key>` for the Authorization header (always with the prefix; see the API notes).
    public var bearer: String { "Bearer \(value)" }

    /// The exact key text, to scan outputs for leaks in tests.
    public var revealedForLeakChecks: String { value }

    public var description: String { "sk-…(redacted)" }
    public var debugDescription: String { description }

    /// Where the key came from, for messages (never the key itself).
    public enum Source: String, Sendable { case environment = "STABILITY_API_KEY", file = "api_key_file", credential = "systemd credential" }

    /// Finds the key: `STABILITY_API_KEY`, else `api_key_file`, else `$CREDENTIALS_DIRECTORY/stability-api-key`.
    public static func resolve(config: StabilityConfig, environment: [String: String]) throws(ConfigError) -> (APIKey, Source) {
        if let text = environment["STABILITY_API_KEY"], !text.isEmpty {
            guard let key = APIKey(text) else { throw ConfigError("STABILITY_API_KEY is set but is not a valid key (empty or several lines)") }
            return (key, .environment)
        }
        if let file = config.apiKeyFile {
            return (try read(FilePath(file), what: "stability.api_key_file \(file)"), .file)
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = FilePath(directory).appending("stability-api-key")
            if (try? FileOperations.statusIfPresent(path)) != nil {
                return (try read(path, what: "the systemd credential stability-api-key"), .credential)
            }
        }
        throw ConfigError("the cloud engines need a Stability API key: set STABILITY_API_KEY, stability.api_key_file, "
            + "or a systemd credential named stability-api-key (LoadCredential=)")
    }

    private static func read(_ path: FilePath, what: String) throws(ConfigError) -> APIKey {
        let bytes: [UInt8]
        do { bytes = try FileOperations.readAll(path, limit: 4096) } catch { throw ConfigError("cannot read \(what): \(error)") }
        guard let key = APIKey(String(decoding: bytes, as: UTF8.self)) else { throw ConfigError("\(what) does not hold a key") }
        return key
    }
}
