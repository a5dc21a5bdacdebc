import Foundation
import Glibc
import Synchronization
import SystemPackage

/// A real `NOTIFY_SOCKET`: an AF_UNIX datagram socket bound to a temp path, receiving what the
/// daemon sends through libsystemd's `sd_notify`, exactly as systemd would.
public final class NotifySocket: @unchecked Sendable {
    // @unchecked: `messages` is only touched under `lock`; `fd` is immutable after init and
    // closed once in deinit, after which no method can be called (the object is gone).
    public let path: String
    private let fd: CInt
    private let lock = NSLock()
    private var messages: [String] = []

    public init(directory: FilePath) throws {
        path = directory.appending("notify.sock").string
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno)!) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < 108, "socket path too long")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno)!) }
        // Read continuously, as systemd does: a datagram socket nobody reads fills up and then
        // blocks the sender.
        let reader = Thread { [weak self] in
            while let self, !self.closed.withLock({ $0 }) { self.drain(timeoutMilliseconds: 100) }
        }
        reader.start()
    }

    private let closed = Mutex(false)

    deinit {
        closed.withLock { $0 = true }
        close(fd)
    }

    /// Everything received so far, one entry per datagram.
    public var received: [String] {
        drain(timeoutMilliseconds: 0)
        return lock.withLock { messages }
    }

    /// Waits (with a deadline) for a datagram satisfying `predicate`; returns it.
    public func waitFor(timeout: Duration = .seconds(30), _ predicate: (String) -> Bool) async -> String? {
        let deadline = ContinuousClock.now + timeout
        var seen = 0
        while true {
            let all = lock.withLock { messages }
            for message in all[seen...] where predicate(message) { return message }
            seen = all.count
            if ContinuousClock.now >= deadline { return nil }
            // poll(2) with a short timeout on this task's thread: the socket is ours alone.
            drain(timeoutMilliseconds: 50)
            await Task.yield()
        }
    }

    private func drain(timeoutMilliseconds: Int32) {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 { return }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            lock.withLock { messages.append(text) }
        }
    }
}
