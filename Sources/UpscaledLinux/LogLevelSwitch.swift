import Logging
import Synchronization

/// The process-wide log level, changeable on reload. Log handlers are value types (swift-log
/// requires it), so the level they obey lives here and each handler reads it.
public final class LogLevelSwitch: Sendable {
    public static let shared = LogLevelSwitch()
    private let current = Mutex(Logger.Level.info)

    public var level: Logger.Level {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}
