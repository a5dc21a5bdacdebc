import Foundation
import Glibc
import SystemPackage

/// One daemon per host id and root: an exclusive `flock(2)` on `hosts/<host_id>/lock`, held for
/// the life of the process and dropped by the kernel however it ends (SIGKILL included).
///
/// Two daemons with the same host id on one root would replay and finish each other's jobs, which
/// is exactly what per-host state exists to prevent; a cloned VM (same /etc/machine-id) or a
/// second `upscaled run` by mistake is stopped at start with a clear message instead. On NFS the
/// lock is a POSIX lock the server keeps (NFSv4, or lockd for v3).
public final class HostLock: Sendable {
    private let fd: CInt
    public let path: FilePath

    /// Takes the lock, or returns nil when another process holds it.
    public static func acquire(_ path: FilePath, holder: String) throws(SystemCallError) -> HostLock? {
        let fd = try retrying("open", on: path) { open($0, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600) }
        do { try retrying("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) } } catch {
            close(fd)
            if error.errno.rawValue == EWOULDBLOCK { return nil }
            throw error
        }
        // Who holds it, for a person reading the file; the lock itself is what counts.
        _ = ftruncate(fd, 0)
        _ = try? naming("write", path: path) { try FileDescriptor(rawValue: fd).writeAll(Array((holder + "\n").utf8)) }
        return HostLock(fd: fd, path: path)
    }

    /// What the holder wrote into the lock file (pid, start time), best effort.
    public static func holder(of path: FilePath) -> String? {
        (try? FileOperations.readAll(path, limit: 4096)).map { String(decoding: $0, as: UTF8.self) }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private init(fd: CInt, path: FilePath) {
        self.fd = fd
        self.path = path
    }

    /// Releases the lock (also done by the kernel at exit).
    public func release() { _ = flock(fd, LOCK_UN) }

    deinit { close(fd) }
}
