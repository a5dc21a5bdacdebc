import Foundation
import Glibc
import Logging
import SystemPackage

/// Human log lines on stderr: `2026-11-25 09:30:01 info  filed holiday.jpg → outbox/holiday.png`.
/// Metadata follows as `key=value`; the journal handler takes over under systemd.
public struct ConsoleLogHandler: LogHandler {
    /// Read from `LogLevelSwitch` so a reload (SIGHUP) changes every logger's level at once.
    public var logLevel: Logger.Level {
        get { LogLevelSwitch.shared.level }
        set { LogLevelSwitch.shared.level = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(event)
        var line = "\(Self.timestamp()) \(event.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))\(Self.oneLine("\(event.message)"))"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key.replacingOccurrences(of: "upscaled.", with: ""))=\(Self.oneLine("\(value)"))"
        }
        line += "\n"
        // One write(2) per line in the common case: lines never interleave. A log line that
        // cannot be written (stderr closed) is dropped: logging must never stop the daemon.
        _ = try? FileDescriptor.standardError.writeAll(Array(line.utf8))
    }

    /// `text` on one line: control characters (a newline in a file's name, an escape sequence)
    /// written as `\n`, `\u{1B}`…, so a name can neither forge a log line nor drive a terminal.
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\t" }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control && scalar != "\t" {
                out += scalar == "\n" ? "\\n" : scalar == "\r" ? "\\r" : "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, 32, "%Y-%m-%d %H:%M:%S", &parts)
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
