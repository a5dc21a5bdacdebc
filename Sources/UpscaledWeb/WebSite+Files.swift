import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOPosix
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledEngines
import UpscaledLinux

extension WebSite {
    /// The bytes of the file `id` on a shelf.
    func serveFile(_ kind: ReviewShelf.Kind, id: String, request: Request) async throws -> Response {
        let shelf = self.shelf(kind)
        guard let item = try await io({ self.item(shelf, id: id) }) else { throw Self.notOnShelf(kind) }
        return try await stream(shelf.path(of: item), inode: item.inode, request: request) ?? { throw Self.notOnShelf(kind) }()
    }

    /// The thumbnail of `path` (a WebP made by libvips on its own thread), or 404 when libvips
    /// cannot read it (a file that failed for being broken often cannot).
    func serveThumbnail(_ path: FilePath) async throws -> Response {
        do {
            let bytes = try await thumbnails.thumbnail(of: path)
            return Response(status: .ok, headers: [.contentType: "image/webp", .cacheControl: "private, max-age=3600"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            throw HTTPError(.notFound, message: "no preview: \(error)")
        }
    }

    /// Streams `path` from an I/O thread in 1 MiB reads; nil when it is not a regular file (or,
    /// with `inode`, not that one). Opened without following a symlink, checked again once open.
    /// Only the image types a browser shows are served as such; anything else is a download.
    func stream(_ path: FilePath, inode: UInt64?, request: Request) async throws -> Response? {
        let found: (size: Int64, inode: UInt64, head: [UInt8])? = try await io {
            var info = stat()
            guard path.withPlatformString({ lstat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFREG,
                  inode == nil || UInt64(info.st_ino) == inode else { return nil }
            let head = (try? FileOperations.readHead(path, count: ImageFormat.sniffLength)) ?? []
            return (Int64(info.st_size), UInt64(info.st_ino), head)
        }
        guard let found else { return nil }
        let type: String
        switch ImageFormat.sniff(found.head) {
        case .image(.png): type = "image/png"
        case .image(.jpeg): type = "image/jpeg"
        case .image(.webp): type = "image/webp"
        case .image(.gif): type = "image/gif"
        case .image(.avif): type = "image/avif"
        default: type = "application/octet-stream"
        }
        var headers: HTTPFields = [.contentType: type, .contentSecurityPolicy: "sandbox; default-src 'none'"]
        headers[.contentDisposition] = (type.hasPrefix("image/") ? "inline" : "attachment") + "; filename*=UTF-8''"
            + (path.lastComponent?.string.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file")
        headers[.cacheControl] = "private, max-age=3600"
        if request.method == .head {
            headers[.contentLength] = "\(found.size)"
            return Response(status: .ok, headers: headers)
        }
        let io = files
        let size = found.size
        let expected = found.inode
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(size)) { writer in
            let fd = try await io.runIfActive { () throws(SystemCallError) -> CInt in
                // O_NONBLOCK: a FIFO put in the listed file's place must not hang the page's thread.
                let fd = path.withPlatformString { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
                guard fd >= 0 else { throw SystemCallError("open", path: path, errno: errno) }
                var info = stat()
                guard fstat(fd, &info) == 0, UInt64(info.st_ino) == expected, Int64(info.st_size) == size else {
                    close(fd)
                    throw SystemCallError("open", path: path, errno: ESTALE)
                }
                return fd
            }
            defer { close(fd) }
            var offset: Int64 = 0
            while offset < size {
                let at = offset
                let chunk = try await io.runIfActive { () throws(SystemCallError) -> [UInt8] in
                    var buffer = [UInt8](repeating: 0, count: Int(min(1 << 20, size - at)))
                    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(at)) }
                    guard n >= 0 else { throw SystemCallError("pread", path: path, errno: errno) }
                    return Array(buffer.prefix(n))
                }
                if chunk.isEmpty { throw SystemCallError("pread", path: path, errno: ESTALE) }   // shorter than it was
                offset += Int64(chunk.count)
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }
}
