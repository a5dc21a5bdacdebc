import Glibc
import CSystemd

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

    public func ready(status: String) { _ = try? send([("READY", "1"), ("STATUS", status)]) }
    public func status(_ text: String) { _ = try? send([("STATUS", text)]) }
    public func stopping(status: String) { _ = try? send([("STOPPING", "1"), ("STATUS", status)]) }
    public func watchdog() { _ = try? send([("WATCHDOG", "1")]) }

    /// `RELOADING=1` with the CLOCK_MONOTONIC timestamp systemd 253+ requires for Type=notify-reload.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        _ = try? send([("RELOADING", "1"), ("MONOTONIC_USEC", String(usec)), ("STATUS", "reloading configuration")])
    }

    /// The watchdog interval systemd asked for (WATCHDOG_USEC for this PID), or nil.
    public func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
