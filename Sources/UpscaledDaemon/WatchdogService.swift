import ServiceLifecycle
import UpscaledLinux

/// Pings systemd's watchdog every half interval while the daemon's event loop is alive.
/// Without `WATCHDOG_USEC` it returns at once: no timer, no wake-ups.
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration

    public init(notifier: SystemdNotifier, interval: Duration) {
        self.notifier = notifier
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            notifier.watchdog()
            // Ends at once on graceful shutdown: a stop must not wait out half a watchdog interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval / 2) }
        }
    }
}
