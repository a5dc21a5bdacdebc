import Glibc
import SystemPackage
import CUpscaledLinux
import UpscaledCore

/// A file being written where no user can see it, made visible only once complete and durable.
///
/// Where the filesystem allows it the file is an anonymous `O_TMPFILE` in the destination
/// folder: it has no name at all until `commit` links it, and a crash leaves nothing behind.
/// Elsewhere (some network filesystems) it is a hidden `.upscaled-tmp-*` file in the same
/// folder, renamed with `RENAME_NOREPLACE` on commit. Its name carries a `tag` (the job's id)
/// so that the replay of a crashed job finds and removes it (`hiddenPrefix(tag:)`).
public struct TempFile: Sendable {
    public let fd: CInt
    public let directory: FilePath
    /// nil for an anonymous O_TMPFILE.
    public let hiddenName: FilePath.Component?

    /// The prefix of hidden temp names, for the start-up sweep.
    public static let hiddenPrefix = ".upscaled-tmp-"

    /// The prefix of the hidden temps made with `tag`.
    public static func hiddenPrefix(tag: String) -> String { hiddenPrefix + tag + "-" }

    public static func create(in directory: FilePath, mode: mode_t = 0o644, tag: String? = nil) throws(SystemCallError) -> TempFile {
        let anonymous = directory.withPlatformString { open($0, upscaled_O_TMPFILE | O_RDWR | O_CLOEXEC, mode) }
        if anonymous >= 0 { return TempFile(fd: anonymous, directory: directory, hiddenName: nil) }
        let reason = Glibc.errno
        // Filesystems without O_TMPFILE answer EOPNOTSUPP (or EISDIR/EINVAL on older kernels).
        guard [EOPNOTSUPP, EISDIR, EINVAL].contains(reason) else {
            throw SystemCallError("open(O_TMPFILE)", path: directory, errno: reason)
        }
        for _ in 0..<16 {
            let name = FilePath.Component((tag.map(hiddenPrefix(tag:)) ?? hiddenPrefix) + randomToken())!
            let path = directory.appending(name)
            let fd = path.withPlatformString { open($0, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode) }
            if fd >= 0 { return TempFile(fd: fd, directory: directory, hiddenName: name) }
            if Glibc.errno != EEXIST { throw SystemCallError("open", path: path, errno: Glibc.errno) }
        }
        throw SystemCallError("open", path: directory, errno: EEXIST)
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(SystemCallError) {
        try naming("write", path: directory) { try FileDescriptor(rawValue: fd).writeAll(bytes) }
    }

    /// Flushes data and metadata to the disk: after this, a crash cannot leave a truncated result.
    public func sync() throws(SystemCallError) {
        _ = try retrying("fsync", path: directory) { fsync(fd) }
    }

    /// The file's current size, for verification.
    public func size() throws(SystemCallError) -> Int64 {
        var st = stat()
        _ = try retrying("fstat", path: directory) { fstat(fd, &st) }
        return Int64(st.st_size)
    }

    /// A path by which libvips (or anyone) can reopen this very file, named or not.
    public var procPath: String { "/proc/self/fd/\(fd)" }

    /// Gives the file its final name, never replacing an existing file.
    /// - Returns: false when `path` already exists (choose another name and try again).
    public func commit(as path: FilePath) throws(SystemCallError) -> Bool {
        if let hiddenName {
            return try FileOperations.renameNoReplace(directory.appending(hiddenName), to: path)
        }
        let rc: CInt = procPath.withCString { source in
            path.withPlatformString { target in
                linkat(AT_FDCWD, source, AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0 ? 0 : Glibc.errno
            }
        }
        if rc == 0 { return true }
        if rc == EEXIST { return false }
        throw SystemCallError("linkat", path: path, errno: rc)
    }

    /// Closes the descriptor; a hidden temp that was never committed is removed.
    public func close(committed: Bool) {
        _ = Glibc.close(fd)
        if !committed, let hiddenName {
            try? FileOperations.removeIfPresent(directory.appending(hiddenName))
        }
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36)
    }
}

extension TempFile {
    /// The inode number: kept by `linkat` and `rename`, so it identifies our result after a crash.
    public func inode() throws(SystemCallError) -> UInt64 {
        var st = stat()
        _ = try retrying("fstat", path: directory) { fstat(fd, &st) }
        return UInt64(st.st_ino)
    }
}
