import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOPosix
import NIOCore
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledLinux

extension WebSite {
    /// The bytes of the file `id`, streamed from an I/O thread in 1 MiB reads. The file is opened
    /// without following a symlink and must still be the inode that was listed. Only the image
    /// types a browser shows get their own type; anything else is a download, never a page.
    func serveFile(_ kind: ReviewShelf.Kind, id: String, request: Request) async throws -> Response {
        let shelf = self.shelf(kind)
        let found: (ReviewShelf.Item, [UInt8])? = try await io {
            guard let item = shelf.item(id: id) else { return nil }
            let head = (try? FileOperations.readHead(shelf.path(of: item), count: ImageFormat.sniffLength)) ?? []
            return (item, head)
        }
        guard let (item, head) = found else { throw Self.notOnShelf(kind) }
        let type: String
        switch ImageFormat.sniff(head) {
        case .image(.png): type = "image/png"
        case .image(.jpeg): type = "image/jpeg"
        case .image(.webp): type = "image/webp"
        case .image(.gif): type = "image/gif"
        case .image(.avif): type = "image/avif"
        default: type = "application/octet-stream"
        }
        let path = shelf.path(of: item)
        let io = parts.io
        var headers: HTTPFields = [.contentType: type, .contentSecurityPolicy: "sandbox; default-src 'none'"]
        headers[.contentDisposition] = (type.hasPrefix("image/") ? "inline" : "attachment") + "; filename*=UTF-8''"
            + (item.relative.lastComponent?.string.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file")
        headers[.cacheControl] = "private, max-age=3600"
        if request.method == .head {
            headers[.contentLength] = "\(item.size)"
            return Response(status: .ok, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(item.size)) { writer in
            let fd = try await io.runIfActive { () throws(SystemCallError) -> CInt in
                let fd = open(path.string, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                guard fd >= 0 else { throw SystemCallError("open", path: path, errno: errno) }
                var info = stat()
                guard fstat(fd, &info) == 0, UInt64(info.st_ino) == item.inode else {
                    close(fd)
                    throw SystemCallError("open", path: path, errno: ESTALE)
                }
                return fd
            }
            defer { close(fd) }
            var offset: Int64 = 0
            while offset < item.size {
                let at = offset
                let chunk = try await io.runIfActive { () throws(SystemCallError) -> [UInt8] in
                    var buffer = [UInt8](repeating: 0, count: 1 << 20)
                    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(at)) }
                    guard n >= 0 else { throw SystemCallError("pread", path: path, errno: errno) }
                    return Array(buffer.prefix(n))
                }
                if chunk.isEmpty { break }
                offset += Int64(chunk.count)
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }
}
