import Glibc
import Logging
import UpscaledLinux

/// Chooses where logs go, once per process: native journal entries when stderr is the journal
/// (JOURNAL_STREAM matches), human lines otherwise.
enum Logging {
    static func bootstrap(level: String) -> Logger {
        let journal = JournalLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { label in
            journal ? JournalLogHandler(label: label) as any LogHandler : ConsoleLogHandler()
        }
        LogLevelSwitch.shared.level = Logger.Level(rawValue: level) ?? .info
        return Logger(label: "upscaled")
    }

    /// An error before logging exists: one line on stderr.
    static func fail(_ message: String) {
        let line = message + "\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}
