import CUpscaledVips
import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Small WebP previews for the page, made with libvips' `thumbnail` (shrink-on-load: a 24 MP
/// JPEG is decoded at an eighth of its size). The daemon has them made by a helper process
/// (`upscaled thumbnail-helper`, at nice 10, leaving after a minute without work): the files
/// previewed are often the ones that failed for being broken or hostile, so their decoding
/// stays out of the daemon's address space, and libvips' worker threads and locks there are
/// not the ones the upscale jobs share (measured: previews made in-process, even at a lower
/// priority, made the pipeline's claims 4x slower at p99 under a crowd of clients). Requests go
/// one at a time from a thread of their own. Cached in `inbox/.upscaled/thumbs/` under a key of
/// the file's path, inode, size and mtime (a changed file gets a new one); the cache is bounded
/// (the oldest made go first), and a file deleted from the page takes its thumbnail with it.
public final class Thumbnailer: Sendable {
    public let cache: FilePath
    public let maximumFiles: Int
    /// The longest side, in pixels.
    public static let side = 320
    private static let worker = SerialWorker(name: "thumbnails")
    private let helper: HelperBox?

    /// `helper`: the `upscaled` executable to run as `thumbnail-helper`; nil makes previews in
    /// this process (tests, tools).
    public init(cache: FilePath, maximumFiles: Int = 4000, helper: FilePath? = nil) {
        self.cache = cache
        self.maximumFiles = maximumFiles
        self.helper = helper.map { HelperBox(HelperProcess(executable: $0, arguments: ["thumbnail-helper"])) }
        // With libvips in the helper, this thread only reads the cache and waits: it yields.
        if helper != nil { Self.worker.post { lowerCurrentThreadPriority() } }
    }

    /// The cache file for `source` as it is now (nil when it cannot be stat'ed or is no regular
    /// file: a FIFO would hang the helper that opens it).
    public func cacheFile(for source: FilePath) -> FilePath? {
        var info = stat()
        guard source.withPlatformString({ lstat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
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

    /// Ends the helper process, if one runs (at shutdown); a later preview starts another.
    public func stopHelper() async {
        guard let helper else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Self.worker.post {
                helper.process.stop()
                done.resume()
            }
        }
    }

    private func make(_ source: FilePath) throws(VipsError) -> [UInt8] {
        guard let file = cacheFile(for: source) else { throw VipsError("\(source.display) is gone") }
        // No access time is written back on a hit: a metadata write per request would join every
        // fsync of the pipeline's journal on the same filesystem (measured: the claims' p99 doubled).
        if let cached = try? FileOperations.readAll(file) { return cached }
        try? FileOperations.makeDirectories(cache, mode: 0o700)
        let bytes: [UInt8]
        if let helper {
            let answer: [UInt8]
            do { answer = try helper.process.exchange(source.bytes + [0] + file.bytes + [0]) } catch {
                throw VipsError("the preview helper failed: \(error)")
            }
            guard answer == Array("ok".utf8), let made = try? FileOperations.readAll(file) else {
                throw VipsError(String(decoding: answer.drop { $0 != 0x20 }.dropFirst(), as: UTF8.self))
            }
            bytes = made
        } else {
            bytes = try Self.render(source)
            try? FileOperations.writeAtomically(bytes, to: file, durable: false)
        }
        prune()
        return bytes
    }

    /// The preview of `source` as WebP bytes (libvips, in this process; blocking).
    public static func render(_ source: FilePath) throws(VipsError) -> [UInt8] {
        try VipsRuntime.start()
        var out: UnsafeMutablePointer<VipsImage>?
        guard source.withPlatformString({ upscaled_vips_thumbnail($0, CInt(side), &out) }) == 0, let out else {
            throw VipsError.last("no thumbnail of \(source.display)")
        }
        let image = VipsImageRef(OpaquePointer(out))
        var data: UnsafeMutableRawPointer?
        var length = 0
        guard upscaled_vips_save_buffer(image.raw, ".webp[Q=75,strip]", &data, &length) == 0, let data else {
            throw VipsError.last("no thumbnail of \(source.display)")
        }
        defer { upscaled_free(data) }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// Keeps the cache under `maximumFiles`: the oldest made go first, down to 90 %.
    func prune() {
        guard let entries = try? FileOperations.listDirectory(cache), entries.count > maximumFiles else { return }
        let aged = entries.compactMap { entry -> (FilePath, Double)? in
            let path = cache.appending(entry.name)
            return (try? FileOperations.statusIfPresent(path)).flatMap { $0 }.map { (path, $0.modified) }
        }.sorted { $0.1 < $1.1 }
        for (path, _) in aged.prefix(entries.count - maximumFiles * 9 / 10) { try? FileOperations.removeIfPresent(path) }
    }
}

/// The helper process, used only from the thumbnails' worker thread.
final class HelperBox: @unchecked Sendable {
    // @unchecked: `process` is used only in `Thumbnailer.make` and `stopHelper`'s posted
    // closure, both of which run on `Thumbnailer.worker`, one serial thread: no two threads
    // ever touch it at once.
    let process: HelperProcess
    init(_ process: HelperProcess) { self.process = process }
}
