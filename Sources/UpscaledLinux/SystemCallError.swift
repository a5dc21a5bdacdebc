import Glibc
import SystemPackage
import UpscaledCore

/// A failed system call: which call, on which path, and errno, rendered as a sentence a user can act on.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    public var path: String?
    public var errno: Errno

    public init(_ call: String, path: FilePath? = nil, errno: CInt) {
        self.call = call
        self.path = path?.display
        self.errno = Errno(rawValue: errno)
    }

    public var description: String {
        let what = String(cString: strerror(errno.rawValue))
        if let path { return "\(call) '\(path)': \(what)\(hint.map { " (\($0))" } ?? "")" }
        return "\(call): \(what)\(hint.map { " (\($0))" } ?? "")"
    }

    /// What a user can do about the common cases.
    public var hint: String? {
        switch errno {
        case .permissionDenied, .notPermitted: "check the folder's owner and permissions"
        case .noSpace: "the disk is full; free some space"
        case .readOnlyFileSystem: "the filesystem is mounted read-only"
        case .tooManyOpenFiles: "raise the open-file limit (LimitNOFILE=)"
        case .staleNFSFileHandle, .socketNotConnected, .hostIsDown, .timedOut, .noLink:
            "the network share is gone or was re-exported; work pauses until it answers again"
        default: nil
        }
    }

    /// True when the condition is about the place, not the file: waiting helps, failing the file would not.
    public var isEnvironmental: Bool {
        [.noSpace, .readOnlyFileSystem, .permissionDenied, .notPermitted, .tooManyOpenFiles,
         .resourceTemporarilyUnavailable, .ioError, .diskQuotaExceeded,
         // A network share that went away or was re-exported (NFS, SMB): wait for it.
         .staleNFSFileHandle, .socketNotConnected, .hostIsDown, .timedOut, .noLink].contains(errno)
    }
}

/// Runs a system call, retrying on EINTR; throws with errno on -1.
@discardableResult
@inline(__always)
func retrying<T: BinaryInteger>(_ call: String, path: FilePath? = nil, _ body: () -> T) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemCallError(call, path: path, errno: code)
    }
}

/// Runs a SystemPackage call (which retries EINTR itself, and writes or reads in full where it
/// says so) and names its failure as ours do: the call, the path, errno.
@discardableResult
public func naming<T>(_ call: String, path: FilePath? = nil, _ body: () throws -> T) throws(SystemCallError) -> T {
    do { return try body() } catch let errno as Errno {
        throw SystemCallError(call, path: path, errno: errno.rawValue)
    } catch {
        throw SystemCallError(call, path: path, errno: EIO)
    }
}

/// Runs a system call that takes `path` as a C string, retrying on EINTR; throws with errno on -1.
@discardableResult
func retrying<T: BinaryInteger>(_ call: String, on path: FilePath, _ body: (UnsafePointer<CChar>) -> T)
    throws(SystemCallError) -> T
{
    let (result, code): (T, CInt) = path.withPlatformString { p in
        while true {
            let r = body(p)
            if r != -1 { return (r, 0) }
            let e = Glibc.errno
            if e != EINTR { return (r, e) }
        }
    }
    if result == -1 { throw SystemCallError(call, path: path, errno: code) }
    return result
}
