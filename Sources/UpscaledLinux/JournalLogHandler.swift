import Glibc
import Logging
import CSystemd
import CUpscaledLinux

/// A swift-log handler that writes native journal entries through `sd_journal_sendv`, with
/// every metadata key as a field (`upscaled.file` → `UPSCALED_FILE=`), so
/// `journalctl --user -u upscaled UPSCALED_OUTCOME=failed` works.
public struct JournalLogHandler: LogHandler {
    /// Read from `LogLevelSwitch` so a reload (SIGHUP) changes every logger's level at once.
    public var logLevel: Logger.Level {
        get { LogLevelSwitch.shared.level }
        set { LogLevelSwitch.shared.level = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(event)
        let fields = Self.fields(level: event.level, message: "\(event.message)", metadata: merged,
                                 label: label, source: event.source)
        Self.send(fields, file: event.file, line: event.line, function: event.function)
    }

    /// The journal fields for one entry: a pure function, tested on its own.
    public static func fields(level: Logger.Level, message: String, metadata: Logger.Metadata,
                              label: String, source: String) -> [String] {
        var fields = ["MESSAGE=\(message)", "PRIORITY=\(priority(level))", "SYSLOG_IDENTIFIER=upscaled",
                      "UPSCALED_LOGGER=\(label)"]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append("\(fieldName(key))=\(value)")
        }
        return fields
    }

    /// syslog priority for a swift-log level (sd-daemon.h's SD_ERR and friends).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Journal field names are upper-case letters, digits and underscores, not starting with `_`.
    public static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { ($0.isLetter && $0.isASCII) || ($0.isNumber && $0.isASCII) ? $0 : "_" })
        while name.hasPrefix("_") { name.removeFirst() }
        if name.isEmpty || name.first!.isNumber { name = "F" + name }
        return String(name.prefix(64))
    }

    private static func send(_ fields: [String], file: String, line: UInt, function: String) {
        // One buffer holds every field; each iovec points into it (no pointer escapes a closure).
        var offsets: [(Int, Int)] = []
        var storage: [UInt8] = []
        for field in fields {
            offsets.append((storage.count, field.utf8.count))
            storage.append(contentsOf: field.utf8)
        }
        storage.withUnsafeMutableBytes { raw in
            var iov = offsets.map { iovec(iov_base: raw.baseAddress! + $0.0, iov_len: $0.1) }
            _ = sd_journal_sendv_with_location("CODE_FILE=\(file)", "CODE_LINE=\(line)", function, &iov, CInt(iov.count))
        }
    }

    /// True when stderr is connected to the journal: systemd sets JOURNAL_STREAM to the
    /// `device:inode` of the stream it gave us (systemd.exec(5)).
    public static func stderrIsJournal() -> Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(STDERR_FILENO, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }
}
