import ArgumentParser
import Logging
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledLinux
import UpscaledWeb

extension Upscaled {
    /// `upscaled run`: the daemon.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daemon: watch the inbox and file every image dropped into it.")

        @OptionGroup var options: SharedOptions

        @Option(help: ArgumentHelp("Upscale this many files at once (default: the number of cores, at most 8).", valueName: "n"))
        var workers: Int?

        @Option(help: ArgumentHelp("Milliseconds a file written in place must stay unchanged before it is taken (default 1000).",
                                   valueName: "ms"))
        var quietWindowMs: Int?

        @Option(help: ArgumentHelp("What to do with an original once its result is safe: archive or delete.", valueName: "action"))
        var afterSuccess: String?

        @Option(help: ArgumentHelp("How to notice new files: auto (inotify, or polling on NFS/SMB/FUSE), inotify or poll.",
                                   valueName: "mode"))
        var watch: String?

        @Flag(help: "Process what is in the inbox now, then exit (for cron and scripts).")
        var once = false

        func run() async throws {
            var overrides = options.overrides()
            overrides.workers = workers
            overrides.quietWindowMilliseconds = quietWindowMs
            if let watch {
                guard let mode = WatchMode(rawValue: watch) else {
                    throw ValidationError("--watch '\(watch)' is not known; use auto, inotify or poll")
                }
                overrides.watch = mode
            }
            if let afterSuccess {
                guard let value = DaemonConfig.AfterSuccess(rawValue: afterSuccess) else {
                    throw ValidationError("--after-success '\(afterSuccess)' is not known; use archive or delete")
                }
                overrides.afterSuccess = value
            }
            let loader = ConfigLoader(explicitPath: options.config.map { FilePath($0) }, overrides: overrides)
            let config: DaemonConfig
            do { config = try loader.load() } catch {
                Logging.fail("upscaled: \(error)")
                throw ExitCode(78)                            // EX_CONFIG: systemd will not restart-loop on it
            }
            let logger = Logging.bootstrap(level: config.logLevel)
            do {
                try await Daemon.run(loader: loader, config: config, once: once, logger: logger) { WebServer(parts: $0) }
            } catch let error as ConfigError {
                logger.critical("\(error)")
                throw ExitCode(78)
            } catch let error as HostHeartbeat.TakenOver {
                // EX_TEMPFAIL: systemd starts it again, with a fresh folder for this host.
                logger.critical("\(error); stopping so that a restart begins afresh")
                throw ExitCode(75)
            } catch {
                logger.critical("upscaled stopped: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
