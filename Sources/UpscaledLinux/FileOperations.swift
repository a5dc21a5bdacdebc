import Glibc
import SystemPackage
import UpscaledCore
import CUpscaledLinux


/// Thin, EINTR-safe wrappers over the file system calls the daemon relies on. Each does one
/// syscall's worth of work and throws `SystemCallError` naming the call and the path.
public enum FileOperations {
    /// What `lstat(2)` says about a path, never following a symlink.
    public struct Status: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case regular, directory, symlink, other(String) }
        public var kind: Kind
        public var size: Int64
        /// mtime, seconds since the epoch, with nanoseconds.
        public var modified: Double
        public var inode: UInt64
        public var device: UInt64

        public init(kind: Kind, size: Int64, modified: Double, inode: UInt64, device: UInt64) {
            self.kind = kind
            self.size = size
            self.modified = modified
            self.inode = inode
            self.device = device
        }
    }

    public static func status(_ path: FilePath) throws(SystemCallError) -> Status {
        var st = stat()
        try retrying("lstat", on: path) { lstat($0, &st) }
        let kind: Status.Kind
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFIFO: kind = .other("a FIFO")
        case S_IFSOCK: kind = .other("a socket")
        case S_IFCHR, S_IFBLK: kind = .other("a device")
        default: kind = .other("an unknown kind of file")
        }
        return Status(kind: kind, size: Int64(st.st_size),
                      modified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9,
                      inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
    }

    /// nil when the path does not exist (ENOENT/ENOTDIR), the status otherwise.
    public static func statusIfPresent(_ path: FilePath) throws(SystemCallError) -> Status? {
        do { return try status(path) } catch {
            if error.errno == .noSuchFileOrDirectory || error.errno == .notDirectory { return nil }
            throw error
        }
    }

    /// `mkdir -p` with `mode` for each folder created.
    public static func makeDirectories(_ path: FilePath, mode: mode_t = 0o755) throws(SystemCallError) {
        if let existing = try statusIfPresent(path) {
            if existing.kind == .directory { return }
            throw SystemCallError("mkdir", path: path, errno: ENOTDIR)
        }
        var parent = path
        parent.removeLastComponent()
        if !parent.isEmpty && parent != path { try makeDirectories(parent, mode: mode) }
        do { try retrying("mkdir", on: path) { mkdir($0, mode) } } catch where error.errno == .fileExists {}
    }

    /// Renames without ever replacing an existing file: false when `to` exists (EEXIST).
    /// Falls back to link+unlink where renameat2 is unsupported (some network filesystems).
    public static func renameNoReplace(_ from: FilePath, to: FilePath) throws(SystemCallError) -> Bool {
        let outcome: CInt = from.withPlatformString { f in
            to.withPlatformString { t in
                while true {
                    if upscaled_renameat2(AT_FDCWD, f, AT_FDCWD, t, upscaled_RENAME_NOREPLACE) == 0 { return 0 }
                    if Glibc.errno != EINTR { return Glibc.errno }
                }
            }
        }
        switch outcome {
        case 0: return true
        case EEXIST: return false
        case EINVAL, ENOSYS:
            // No RENAME_NOREPLACE here (NFS, FUSE): link(2) refuses to replace too, then the old
            // name is dropped. Two hosts may both link the same file before either unlinks it;
            // only one unlink of the old name succeeds, and the other drops its new name again:
            // to it the file vanished, as a rename would have said (ENOENT).
            let linked: CInt = from.withPlatformString { f in to.withPlatformString { t in link(f, t) == 0 ? 0 : Glibc.errno } }
            if linked == EEXIST { return false }
            if linked != 0 { throw SystemCallError("link", path: to, errno: linked) }
            do { try unlink(from) } catch where error.errno == .noSuchFileOrDirectory {
                try removeIfPresent(to)
                throw SystemCallError("rename", path: from, errno: ENOENT)
            }
            return true
        default:
            throw SystemCallError("rename", path: from, errno: outcome)
        }
    }

    /// Renames a whole directory to `to`, a name nobody else creates (it carries the mover's
    /// host id and a unique stamp): false when `from` is gone, because another host moved it
    /// first. Of several movers exactly one succeeds, since the source name exists once.
    /// link(2) cannot stand in for directories, so where RENAME_NOREPLACE is missing a plain
    /// rename is used, which the unique target makes equally safe.
    public static func moveDirectory(_ from: FilePath, toNew to: FilePath) throws(SystemCallError) -> Bool {
        let outcome: CInt = from.withPlatformString { f in
            to.withPlatformString { t in
                while true {
                    if upscaled_renameat2(AT_FDCWD, f, AT_FDCWD, t, upscaled_RENAME_NOREPLACE) == 0 { return 0 }
                    let code = Glibc.errno
                    if code == EINVAL || code == ENOSYS {
                        if Glibc.rename(f, t) == 0 { return 0 }
                        if Glibc.errno == EINTR { continue }
                        return Glibc.errno
                    }
                    if code != EINTR { return code }
                }
            }
        }
        switch outcome {
        case 0: return true
        case ENOENT: return false
        default: throw SystemCallError("rename", path: from, errno: outcome)
        }
    }

    public static func unlink(_ path: FilePath) throws(SystemCallError) {
        try retrying("unlink", on: path) { Glibc.unlink($0) }
    }

    /// Removes a file if it is there; a missing file is not an error.
    public static func removeIfPresent(_ path: FilePath) throws(SystemCallError) {
        do { try unlink(path) } catch where error.errno == .noSuchFileOrDirectory {}
    }

    /// Flushes a directory's entries, so a rename or link into it survives a power cut.
    public static func syncDirectory(_ path: FilePath) throws(SystemCallError) {
        let fd = try retrying("open", on: path) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        do { _ = try retrying("fsync", path: path) { fsync(fd) } } catch {
            // Some filesystems cannot fsync a folder (some FUSE and SMB set-ups: EINVAL, ENOSYS,
            // EOPNOTSUPP). Failing every claim for it would stop the daemon for good; the names
            // are as durable as that filesystem makes them (an NFS server commits a rename or
            // link before it answers; an SMB server as its own settings say).
            guard [EINVAL, ENOSYS, EOPNOTSUPP].contains(error.errno.rawValue) else { throw error }
        }
    }

    /// One directory entry: its name and what the kernel reported about its kind.
    public struct Entry: Sendable {
        public var name: FilePath.Component
        public var isDirectory: Bool
        public var isRegular: Bool
        /// True when readdir could not say (some filesystems report DT_UNKNOWN): lstat it.
        public var kindUnknown: Bool

        /// Whether the entry is a folder (never following a symlink), asking lstat only when
        /// readdir could not say. `folder` is the directory that was listed.
        public func isFolder(in folder: FilePath) -> Bool {
            guard kindUnknown else { return isDirectory }
            return (try? FileOperations.status(folder.appending(name)))?.kind == .directory
        }
    }

    /// The entries of a directory, without `.` and `..`.
    public static func listDirectory(_ path: FilePath) throws(SystemCallError) -> [Entry] {
        guard let dir = path.withPlatformString({ opendir($0) }) else {
            throw SystemCallError("opendir", path: path, errno: Glibc.errno)
        }
        defer { closedir(dir) }
        var entries: [Entry] = []
        while true {
            Glibc.errno = 0
            guard let entry = readdir(dir) else {
                if Glibc.errno != 0 { throw SystemCallError("readdir", path: path, errno: Glibc.errno) }
                break
            }
            let type = entry.pointee.d_type
            let name: FilePath.Component? = withUnsafePointer(to: entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { FilePath.Component(platformString: $0) }
            }
            guard let name, name.kind == .regular else { continue }
            entries.append(Entry(name: name, isDirectory: type == UInt8(DT_DIR), isRegular: type == UInt8(DT_REG),
                                 kindUnknown: type == UInt8(DT_UNKNOWN)))
        }
        return entries
    }

    /// Reads up to `count` bytes from the start of a regular file, refusing to follow a symlink
    /// or to block on a FIFO.
    public static func readHead(_ path: FilePath, count: Int) throws(SystemCallError) -> [UInt8] {
        try read(path, at: 0, count: count)
    }

    /// Reads up to `count` bytes at `offset` (pread(2)); fewer only at the end of the file. The
    /// file is opened and closed for this read alone, never through a symlink, never blocking on
    /// a FIFO.
    public static func read(_ path: FilePath, at offset: Int, count: Int) throws(SystemCallError) -> [UInt8] {
        let fd = try retrying("open", on: path) { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try naming("pread", path: path) {
                try buffer.withUnsafeMutableBytes { raw in
                    try FileDescriptor(rawValue: fd).read(fromAbsoluteOffset: Int64(offset + filled),
                                                          into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                }
            }
            if n == 0 { break }
            filled += n
        }
        return Array(buffer.prefix(filled))
    }

    /// Checks that the current user can create, rename and remove files in `directory`.
    public static func checkWritable(_ directory: FilePath) throws(SystemCallError) {
        try retrying("access", on: directory) { access($0, W_OK | X_OK) }
    }
}

extension FileOperations {
    /// Replaces `to` with `from` atomically (for our own state files only, never user files).
    public static func replace(_ from: FilePath, to: FilePath) throws(SystemCallError) {
        let rc: CInt = from.withPlatformString { f in to.withPlatformString { t in
            while true {
                if rename(f, t) == 0 { return 0 }
                if Glibc.errno != EINTR { return Glibc.errno }
            }
        } }
        if rc != 0 { throw SystemCallError("rename", path: to, errno: rc) }
    }

    /// Writes `bytes` to `path` durably and atomically: a hidden temp in the same folder,
    /// fsync, rename over the old file, fsync the folder. For journal records and the status file.
    public static func writeAtomically(_ bytes: [UInt8], to path: FilePath, durable: Bool = true) throws(SystemCallError) {
        var directory = path
        directory.removeLastComponent()
        let temp = directory.appending(TempFile.hiddenPrefix + TempFile.randomToken())
        let fd = try retrying("open", on: temp) { open($0, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644) }
        var ok = false
        defer {
            close(fd)
            if !ok { try? removeIfPresent(temp) }
        }
        try naming("write", path: temp) { try FileDescriptor(rawValue: fd).writeAll(bytes) }
        if durable { try retrying("fsync", path: temp) { fsync(fd) } }
        try replace(temp, to: path)
        ok = true
        if durable { try syncDirectory(directory) }
    }

    /// Reads a whole (small) regular file. Anything else is refused (EINVAL) without waiting: a
    /// FIFO or a device planted where a sidecar or a cache file is expected would otherwise
    /// block the reading thread for good (opened `O_NONBLOCK`, then checked with `fstat`).
    public static func readAll(_ path: FilePath, limit: Int = 16 << 20) throws(SystemCallError) -> [UInt8] {
        let fd = try retrying("open", on: path) { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError("fstat", path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw SystemCallError("read", path: path, errno: EINVAL) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let n = try naming("read", path: path) { try chunk.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) } }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

extension FileOperations {
    /// The filesystem type magic of the filesystem holding `path` (statfs(2) `f_type`).
    public static func filesystemMagic(_ path: FilePath) throws(SystemCallError) -> UInt64 {
        var type: UInt64 = 0
        try retrying("statfs", on: path) { upscaled_statfs_type($0, &type) }
        return type
    }
}
