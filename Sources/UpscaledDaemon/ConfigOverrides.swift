import SystemPackage
import UpscaledCore

/// Values given on the command line. Kept apart from the file's values so that a reload
/// (SIGHUP) re-reads the file and applies the same flags on top again: flags always win.
public struct ConfigOverrides: Sendable, Equatable {
    public var root: FilePath?
    public var engine: String?
    public var scale: Double?
    public var width: Int?
    public var height: Int?
    public var outputFormat: OutputFormat?
    public var workers: Int?
    public var quietWindowMilliseconds: Int?
    public var afterSuccess: DaemonConfig.AfterSuccess?
    public var logLevel: String?
    public var watch: WatchMode?
    public var hostID: String?
    public var webListen: WebConfig.Listen?

    public init() {}

    public func apply(to config: inout DaemonConfig) {
        if let root { config.root = root }
        if let engine { config.engine = engine }
        if let scale { config.target = .scale(scale) }
        if let width { config.target = .fitWidth(width) }
        if let height { config.target = .fitHeight(height) }
        if let outputFormat { config.outputFormat = outputFormat }
        if let workers { config.workers = workers }
        if let quietWindowMilliseconds { config.quietWindowMilliseconds = quietWindowMilliseconds }
        if let afterSuccess { config.afterSuccess = afterSuccess }
        if let logLevel { config.logLevel = logLevel }
        if let watch { config.watch = watch }
        if let hostID { config.hostID = hostID }
        if let webListen { config.web.listen = webListen }
    }
}
