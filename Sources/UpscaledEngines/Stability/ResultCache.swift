import Crypto
import Foundation
import Glibc
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Remembers what the API answered for given bytes and settings, so a repeated drop of the same
/// file is answered from disk instead of being paid for twice. Entries live in the daemon's
/// state folder; the oldest are dropped past `limit`. Blocking: call from a pool thread.
public struct ResultCache: Sendable {
    public let directory: FilePath
    public let limit: Int

    public init(directory: FilePath, limit: Int = 500) {
        self.directory = directory
        self.limit = limit
    }

    /// The key: SHA-256 over the input's own SHA-256 and a canonical rendering of every setting
    /// that shapes the result.
    public static func key(digest: String, settings: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(digest.utf8) + [0] + Array(settings.utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a file, read in chunks (the file is never held whole). Blocking.
    public static func digest(of path: FilePath) throws -> String {
        let file = try naming("open", path: path) { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .noFollow]) }
        defer { try? file.close() }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = try naming("read", path: path) { try buffer.withUnsafeMutableBytes { try file.read(into: $0) } }
            if n == 0 { break }
            hasher.update(data: buffer[0..<n])
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func digest(of bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    public func lookup(_ key: String) -> (bytes: [UInt8], format: ImageFormat)? {
        for format in [ImageFormat.png, .jpeg, .webp] {
            let path = directory.appending("\(key).\(format.fileExtension)")
            if let bytes = try? FileOperations.readAll(path, limit: 256 << 20), !bytes.isEmpty {
                return (bytes, format)
            }
        }
        return nil
    }

    public func store(_ key: String, bytes: [UInt8], format: ImageFormat) {
        do {
            try FileOperations.makeDirectories(directory, mode: 0o700)
            try FileOperations.writeAtomically(bytes, to: directory.appending("\(key).\(format.fileExtension)"), durable: false)
            try prune()
        } catch {
            // A cache that cannot be written only costs money later, never a file: ignore.
        }
    }

    private func prune() throws {
        let entries = try FileOperations.listDirectory(directory).filter { !$0.name.string.hasPrefix(".") }
        guard entries.count > limit else { return }
        let dated = entries.compactMap { entry -> (FilePath, Double)? in
            let path = directory.appending(entry.name)
            return (try? FileOperations.status(path)).map { (path, $0.modified) }
        }.sorted { $0.1 < $1.1 }
        for (path, _) in dated.prefix(dated.count - limit) { try? FileOperations.removeIfPresent(path) }
    }
}
