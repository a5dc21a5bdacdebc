import CUpscaledLinux
import Foundation
import Glibc
import SystemPackage

/// A child process spoken to over one stream socket (its stdin and stdout), for work the daemon
/// keeps out of its own address space: started on first use, started again if it has gone (it
/// may exit when idle). Not thread-safe: one owner thread (a `SerialWorker`) uses it.
///
/// Each child is reaped the moment it exits, by a thread of its own blocked in `waitpid`: a
/// helper that leaves when idle must not linger as `<defunct>` under the daemon (in `ps`, in
/// `systemctl status`) until the next preview. That thread sleeps in the kernel meanwhile: no
/// wake-up while the daemon is idle.
public final class HelperProcess {
    private let executable: FilePath
    private let arguments: [String]
    private var channel: CInt = -1
    private var reaped: ExitLatch?

    public init(executable: FilePath, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    deinit { stop() }

    /// Sends `request` and reads one line back (without its newline). One retry with a fresh
    /// child if the running one has gone.
    public func exchange(_ request: [UInt8]) throws(SystemCallError) -> [UInt8] {
        for attempt in 0..<2 {
            do {
                try start()
                try send(request)
                return try readLine()
            } catch {
                stop()
                if attempt == 1 { throw error }
            }
        }
        throw SystemCallError("exchange", path: executable, errno: EPIPE)
    }

    private func start() throws(SystemCallError) {
        guard channel < 0 else { return }
        let argv = ([executable.string] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv + [nil]
        var fd: CInt = -1
        var child: pid_t = 0
        let result = cArgs.withUnsafeMutableBufferPointer { upscaled_spawn_with_socket(executable.string, $0.baseAddress!, &fd, &child) }
        guard result == 0 else { throw SystemCallError("posix_spawn", path: executable, errno: result) }
        channel = fd
        let latch = ExitLatch()
        reaped = latch
        let spawned = child
        let reaper = Thread {
            nameCurrentThread("helper-reaper")
            var status: CInt = 0
            while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
            latch.open()
        }
        reaper.start()
    }

    /// Closes the socket (the child sees end of input and exits) and waits until it is reaped.
    /// Never `waitpid` here: the reaper may have reaped it already, and its pid may since be
    /// another child's.
    public func stop() {
        if channel >= 0 { close(channel) }
        channel = -1
        reaped?.wait()
        reaped = nil
    }

    private func send(_ bytes: [UInt8]) throws(SystemCallError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(channel, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SystemCallError("send", path: executable, errno: n < 0 ? errno : EPIPE) }
            sent += n
        }
    }

    private func readLine() throws(SystemCallError) -> [UInt8] {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(channel, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n == 1 else { throw SystemCallError("read", path: executable, errno: n < 0 ? errno : EPIPE) }
            if byte == 0x0A { return line }
            line.append(byte)
            if line.count > 65536 { throw SystemCallError("read", path: executable, errno: E2BIG) }
        }
    }
}

/// Opened once, by the reaper, when its child has been reaped; `wait` returns from then on.
private final class ExitLatch: @unchecked Sendable {
    // @unchecked: `isOpen` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var isOpen = false

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    func wait() {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
    }
}
