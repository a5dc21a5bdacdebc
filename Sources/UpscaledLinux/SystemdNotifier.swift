import Glibc
import CSystemd
import CUpscaledLinux

/// Talks to the service manager through libsystemd's `sd_notify`: readiness, status, watchdog
/// pings, reloading and stopping. Without `NOTIFY_SOCKET` every call is a cheap no-op, so the
/// daemon runs the same from a terminal.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// True when a service manager listens (NOTIFY_SOCKET is set).
    public var isSupervised: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends `fields` as one datagram.
    /// - Returns: false when not under systemd; throws on a real send failure.
    @discardableResult
    public func send(_ fields: [(String, String)]) throws(SystemCallError) -> Bool {
        let message = fields.map { "\($0.0)=\($0.1)" }.joined(separator: "\n")
        let rc = sd_notify(0, message)
        if rc < 0 { throw SystemCallError("sd_notify", errno: -rc) }
        return rc > 0
    }

    /// Messages go out in order on one thread of their own: `sd_notify` is a blocking
    /// `sendmsg(2)`, and a manager slow to read (a full socket buffer) must never stall Swift's
    /// cooperative pool, which has only as many threads as cores.
    private static let worker = SerialWorker(name: "sd-notify")

    private func post(_ fields: [(String, String)]) {
        guard isSupervised else { return }
        Self.worker.post { _ = try? send(fields) }
    }

    /// Waits until every message posted so far has been handed to the manager (before exit).
    public func flush() { Self.worker.flush() }

    public func ready(status: String) { post([("READY", "1"), ("STATUS", status)]) }
    public func status(_ text: String) { post([("STATUS", text)]) }
    public func stopping(status: String) { post([("STOPPING", "1"), ("STATUS", status)]) }
    public func watchdog() { post([("WATCHDOG", "1")]) }

    /// `RELOADING=1` with the CLOCK_MONOTONIC timestamp systemd 253+ requires for Type=notify-reload.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        post([("RELOADING", "1"), ("MONOTONIC_USEC", String(usec)), ("STATUS", "reloading configuration")])
    }

    /// The watchdog interval systemd asked for (WATCHDOG_USEC for this PID), or nil.
    public func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
