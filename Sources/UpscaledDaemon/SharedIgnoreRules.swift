import Synchronization
import UpscaledCore

/// The one copy of the ignore rules (`ignore_suffixes`) that the watcher and the pipeline's
/// scans both read, so a reload changes what both skip at the same moment.
public final class SharedIgnoreRules: Sendable {
    private let rules: Mutex<IgnoreRules>

    public init(config: DaemonConfig) {
        rules = Mutex(IgnoreRules(extraSuffixes: config.ignoreSuffixes))
    }

    public var current: IgnoreRules { rules.withLock { $0 } }

    /// The rules `config` asks for from now on. - Returns: whether they changed (files they hid
    /// until now need a scan to be seen).
    public func update(config: DaemonConfig) -> Bool {
        let new = IgnoreRules(extraSuffixes: config.ignoreSuffixes)
        return rules.withLock { old in
            defer { old = new }
            return old != new
        }
    }
}
