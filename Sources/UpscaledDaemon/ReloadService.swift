import Logging
import ServiceLifecycle
import Glibc
import UpscaledCore
import UpscaledLinux

/// Reloads the configuration on SIGHUP: `RELOADING=1` with `MONOTONIC_USEC=`, re-read the file,
/// re-apply the command-line flags, hand the new settings to the pipeline and the engine, then
/// `READY=1`. A bad file keeps the running configuration and says why.
public struct ReloadService: Service {
    let loader: ConfigLoader
    let apply: @Sendable (DaemonConfig) async throws -> String?
    let notifier: SystemdNotifier
    let status: StatusBoard
    let logger: Logger

    public init(loader: ConfigLoader, notifier: SystemdNotifier, status: StatusBoard, logger: Logger,
                apply: @escaping @Sendable (DaemonConfig) async throws -> String?) {
        self.loader = loader
        self.apply = apply
        self.notifier = notifier
        self.status = status
        self.logger = logger
    }

    public func run() async throws {
        for await _ in SignalRouter.arrivals(of: [SIGHUP]).cancelOnGracefulShutdown() {
            notifier.reloading()
            status.set(state: .reloading)
            do {
                let config = try loader.load()
                if let note = try await apply(config) { logger.notice("\(note)") }
                logger.info("configuration reloaded")
            } catch {
                logger.error("reload failed, keeping the running configuration: \(error)")
            }
            status.set(state: .idle)
            let snapshot = status.flushNow()
            notifier.ready(status: snapshot.line)
        }
    }
}
