import ArgumentParser
import SystemPackage
import UpscaledCore
import UpscaledDaemon

/// Options every subcommand that reads the configuration shares.
struct SharedOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The folder holding inbox/, outbox/, failed/… (default ~/Upscale).", valueName: "dir"))
    var root: String?

    @Option(help: ArgumentHelp("A TOML configuration file (default $XDG_CONFIG_HOME/upscaled/config.toml).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The upscaling engine: ai (Real-ESRGAN via ncnn, offline; the default), local (libvips bicubic, offline, fast), or a Stability AI engine: fast, conservative, creative, or a v1 engine id.", valueName: "name"))
    var engine: String?

    @Option(help: ArgumentHelp("Enlarge by this factor, 2 to 8 (default 2).", valueName: "factor"))
    var scale: Double?

    @Option(help: ArgumentHelp("Fit results to this width instead of a factor.", valueName: "pixels"))
    var width: Int?

    @Option(help: ArgumentHelp("Fit results to this height instead of a factor.", valueName: "pixels"))
    var height: Int?

    @Option(help: ArgumentHelp("Result format: png, jpeg, webp or same (default png).", valueName: "format"))
    var format: String?

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("Who this daemon is among several on one shared root (default: /etc/machine-id).", valueName: "id"))
    var hostId: String?

    @Option(help: ArgumentHelp("Where the page listens: host:port, a Unix socket path, or off (default 127.0.0.1:8754).", valueName: "address"))
    var webListen: String?

    func validate() throws {
        let sizing = [scale != nil, width != nil, height != nil].filter { $0 }.count
        if sizing > 1 { throw ValidationError("give only one of --scale, --width and --height") }
        if let format, OutputFormat(rawValue: format) == nil {
            throw ValidationError("--format '\(format)' is not known; use png, jpeg, webp or same")
        }
        if let webListen, WebConfig.Listen(parsing: webListen) == nil {
            throw ValidationError("--web-listen '\(webListen)' is not an address; use host:port (127.0.0.1:8754), a Unix socket path, or off")
        }
    }

    func overrides() -> ConfigOverrides {
        var o = ConfigOverrides()
        o.root = root.map { FilePath($0) }
        o.engine = engine
        o.scale = scale
        o.width = width
        o.height = height
        o.outputFormat = format.flatMap(OutputFormat.init(rawValue:))
        o.logLevel = logLevel
        o.hostID = hostId
        o.webListen = webListen.flatMap(WebConfig.Listen.init(parsing:))
        return o
    }

    /// The configuration for a command that reads it and stops: a mistake in it is exit 78.
    func loadConfigOrExit() throws -> DaemonConfig {
        let loader = ConfigLoader(explicitPath: config.map { FilePath($0) }, overrides: overrides())
        do { return try loader.load() } catch {
            Logging.fail("upscaled: \(error)")
            throw ExitCode(78)
        }
    }
}
