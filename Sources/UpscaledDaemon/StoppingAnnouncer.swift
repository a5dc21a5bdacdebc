import ServiceLifecycle
import UpscaledCore
import UpscaledLinux

/// The last service in the group, so the first to hear of a graceful shutdown: it tells
/// systemd `STOPPING=1` before anything else starts winding down.
public struct StoppingAnnouncer: Service {
    let notifier: SystemdNotifier
    let status: StatusBoard

    public init(notifier: SystemdNotifier, status: StatusBoard) {
        self.notifier = notifier
        self.status = status
    }

    public func run() async throws {
        try? await gracefulShutdown()
        status.set(state: .stopping)
        notifier.stopping(status: status.flushNow().line)
    }
}
