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
    ///
    /// Waits up to `patience` for a holder that only looks: another host judging whether we
    /// live (`probe`), or `upscaled status`, holds the lock for a moment. A survivor taking our
    /// folder over moves it, lock file and all, away while holding it: so the lock is taken on
    /// whatever the path names once it is locked, and the folder is made again if it went.
    public static func acquire(_ path: FilePath, holder: String, patience: Duration = .seconds(3)) throws(SystemCallError) -> HostLock? {
        let deadline = ContinuousClock.now + patience
        while true {
            let parent = path.removingLastComponent()
            if !parent.isEmpty { try FileOperations.makeDirectories(parent, mode: 0o700) }
            let taken: HostLock?
            do { taken = try lock(path, create: true) } catch {
                // The folder moved away between the mkdir and the open: make it again.
                guard error.errno.rawValue == ENOENT, ContinuousClock.now < deadline else { throw error }
                continue
            }
            if let lock = taken, lock.stillNamed() {
                // Who holds it, for a person reading the file; the lock itself is what counts.
                _ = ftruncate(lock.fd, 0)
                _ = try? naming("write", path: path) { try FileDescriptor(rawValue: lock.fd).writeAll(Array((holder + "\n").utf8)) }
                return lock
            }
            if ContinuousClock.now >= deadline { return nil }
            usleep(50_000)
        }
    }

    /// Whether the path still names the file this lock is on (not moved away meanwhile).
    private func stillNamed() -> Bool {
        var locked = stat(), named = stat()
        guard fstat(fd, &locked) == 0, stat(path.string, &named) == 0 else { return false }
        return locked.st_dev == named.st_dev && locked.st_ino == named.st_ino
    }

    /// Another host's lock, taken only to learn whether its daemon still lives: nil when a
    /// live process holds it. A lock that can be taken proves death only where locks reach
    /// across machines (one kernel; NFS with its lock manager); elsewhere (FUSE, SMB without
    /// byte-range locks) it proves nothing and the lease decides alone. Held while the taker
    /// moves the folder, so the dead host restarting meanwhile waits its turn.
    public static func probe(_ path: FilePath) throws(SystemCallError) -> HostLock? {
        try lock(path, create: false)
    }

    private static func lock(_ path: FilePath, create: Bool) throws(SystemCallError) -> HostLock? {
        let flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0)
        let fd = try retrying("open", on: path) { open($0, flags, 0o600) }
        do { try retrying("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) } } catch {
            close(fd)
            if error.errno.rawValue == EWOULDBLOCK { return nil }
            throw error
        }
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
