import Glibc
import SystemPackage
import UpscaledCore

/// This host's sign of life on a shared root: `hosts/<host_id>/heartbeat`, rewritten and
/// fsynced, so the file server stamps its mtime with the server's own clock. The mtime read
/// back is the "now" every lease judgement uses, since hosts' clocks disagree.
///
/// Opened by path at every beat, never kept open: a folder taken over by another host (it
/// judged this one dead) has been renamed away, and an open descriptor would keep writing into
/// the moved copy as if nothing happened. The folder's inode is checked too, so a folder that a
/// new process of the same host made since is not mistaken for ours. Not its device: that
/// changes when a share is unmounted and mounted again (the file server back after an outage),
/// while NFS and SMB inode numbers are the server's and stay.
/// Blocking: call it from an I/O thread.
public struct HostHeartbeat: Sendable {
    public let folder: FilePath
    public let file: FilePath
    /// The inode of the folder this process started with.
    private let identity: UInt64

    /// This host's folder was renamed away or replaced: another host took its work over.
    public struct TakenOver: Error, Sendable, CustomStringConvertible {
        public var folder: FilePath
        public var description: String {
            "this host's folder \(folder.display) was taken over by another host, which judged this one dead "
                + "(no heartbeat for longer than host_lease_s); its jobs are finished there"
        }
    }

    public enum BeatError: Error, Sendable, CustomStringConvertible {
        case takenOver(TakenOver)
        case system(SystemCallError)

        public var description: String {
            switch self {
            case .takenOver(let taken): "\(taken)"
            case .system(let error): "cannot write the heartbeat: \(error)"
            }
        }
    }

    /// Remembers which folder is ours; call once the folder exists.
    public init(folder: FilePath) throws(SystemCallError) {
        self.folder = folder
        file = folder.appending("heartbeat")
        let status = try FileOperations.status(folder)
        identity = status.inode
    }

    /// Rewrites the heartbeat with `content`. - Returns: its mtime as the server set it.
    public func beat(_ content: String) throws(BeatError) -> Double {
        let status: FileOperations.Status?
        do { status = try FileOperations.statusIfPresent(folder) } catch { throw .system(error) }
        guard let status, status.inode == identity else {
            throw .takenOver(TakenOver(folder: folder))
        }
        do { return try write(content) } catch where error.errno == .noSuchFileOrDirectory {
            // The folder went between the check and the open: renamed by a taker.
            throw .takenOver(TakenOver(folder: folder))
        } catch {
            throw .system(error)
        }
    }

    private func write(_ content: String) throws(SystemCallError) -> Double {
        let fd = try retrying("open", on: file) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try naming("write", path: file) { try FileDescriptor(rawValue: fd).writeAll(Array((content + "\n").utf8)) }
        _ = try retrying("fsync", path: file) { fsync(fd) }
        var st = stat()
        _ = try retrying("fstat", path: file) { fstat(fd, &st) }
        return Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }
}
