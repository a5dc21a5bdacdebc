import CUpscaledVips
import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Small WebP previews for the page, made with libvips' `thumbnail` (shrink-on-load: a 24 MP
/// JPEG is decoded at an eighth of its size) on a thread of their own, so the upscale workers
/// and the I/O threads never wait for one. Cached in `inbox/.upscaled/thumbs/` under a key of
/// the file's path, inode, size and mtime (a changed file gets a new one); the cache is bounded
/// (oldest first out), and a file deleted from the page takes its thumbnail with it.
public final class Thumbnailer: Sendable {
    public let cache: FilePath
    public let maximumFiles: Int
    /// The longest side, in pixels.
    public static let side = 320
    private static let worker = SerialWorker(name: "thumbnails")

    public init(cache: FilePath, maximumFiles: Int = 4000) {
        self.cache = cache
        self.maximumFiles = maximumFiles
    }

    /// The cache file for `source` as it is now (nil when it cannot be stat'ed).
    public func cacheFile(for source: FilePath) -> FilePath? {
        var info = stat()
        guard lstat(source.string, &info) == 0 else { return nil }
        let key = OutputNaming.fnv1a64Hex(source.bytes + Array("|\(info.st_ino)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)".utf8))
        return cache.appending("\(key).webp")
    }

    /// The thumbnail of `source`, from the cache or made now.
    public func thumbnail(of source: FilePath) async throws(VipsError) -> [UInt8] {
        let result: Result<[UInt8], VipsError> = await withCheckedContinuation { continuation in
            Self.worker.post {
                continuation.resume(returning: Result { () throws(VipsError) -> [UInt8] in try self.make(source) })
            }
        }
        return try result.get()
    }

    /// Removes the cached thumbnail of `source` (before the file itself goes).
    public func forget(_ source: FilePath) {
        if let file = cacheFile(for: source) { try? FileOperations.removeIfPresent(file) }
    }

    private func make(_ source: FilePath) throws(VipsError) -> [UInt8] {
        guard let file = cacheFile(for: source) else { throw VipsError("\(source.display) is gone") }
        if let cached = try? FileOperations.readAll(file) {
            _ = utimes(file.string, nil)                       // recently used: kept longest
            return cached
        }
        try VipsRuntime.start()
        var out: UnsafeMutablePointer<VipsImage>?
        guard source.withPlatformString({ upscaled_vips_thumbnail($0, CInt(Self.side), &out) }) == 0, let out else {
            throw VipsError.last("no thumbnail of \(source.display)")
        }
        let image = VipsImageRef(OpaquePointer(out))
        var data: UnsafeMutableRawPointer?
        var length = 0
        guard upscaled_vips_save_buffer(image.raw, ".webp[Q=75,strip]", &data, &length) == 0, let data else {
            throw VipsError.last("no thumbnail of \(source.display)")
        }
        defer { upscaled_free(data) }
        let bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
        try? FileOperations.makeDirectories(cache, mode: 0o700)
        try? FileOperations.writeAtomically(bytes, to: file, durable: false)
        prune()
        return bytes
    }

    /// Keeps the cache under `maximumFiles`: the least recently used go first, down to 90 %.
    func prune() {
        guard let entries = try? FileOperations.listDirectory(cache), entries.count > maximumFiles else { return }
        let aged = entries.compactMap { entry -> (FilePath, Double)? in
            let path = cache.appending(entry.name)
            return (try? FileOperations.statusIfPresent(path)).flatMap { $0 }.map { (path, $0.modified) }
        }.sorted { $0.1 < $1.1 }
        for (path, _) in aged.prefix(entries.count - maximumFiles * 9 / 10) { try? FileOperations.removeIfPresent(path) }
    }
}
