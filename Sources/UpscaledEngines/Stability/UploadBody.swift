import AsyncHTTPClient
import NIOCore
import NIOPosix
import SystemPackage
import UpscaledCore
import UpscaledLinux
import Glibc

/// Where the image of an upload comes from.
public enum ImageSource: Sendable {
    /// The claimed file itself, read from disk a chunk at a time during the upload.
    case file(FilePath, size: Int)
    /// Bytes already in memory (an input fitted to the API's limits).
    case memory([UInt8])

    var size: Int {
        switch self {
        case .file(_, let size): size
        case .memory(let bytes): bytes.count
        }
    }
}

/// A streamed multipart upload: MultipartKit writes the envelope (every field and the image
/// part's headers before the image, the closing boundary after it); the image itself flows
/// from disk in 256 KiB chunks as the connection takes them, so an upload holds one chunk in
/// memory, not the whole file. Each attempt (retries included) streams afresh.
public struct UploadBody: Sendable {
    public let contentType: String
    public let length: Int
    let prefix: ByteBuffer
    let suffix: ByteBuffer
    let image: ImageSource
    let pool: NIOThreadPool

    static let chunk = 256 * 1024

    /// A fresh request body for one attempt.
    public func body() -> HTTPClientRequest.Body {
        .stream(UploadChunks(body: self), length: .known(Int64(length)))
    }
}

/// The chunks of one upload, produced on demand: the next file chunk is read (on a pool
/// thread, never the cooperative pool) only when the previous one has been taken.
public struct UploadChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let body: UploadBody

    public init(body: UploadBody) { self.body = body }

    public func makeAsyncIterator() -> Iterator { Iterator(body: body) }

    public struct Iterator: AsyncIteratorProtocol {
        let body: UploadBody
        var stage = 0                 // 0 prefix, 1 image, 2 suffix, 3 done
        var offset = 0

        public mutating func next() async throws -> ByteBuffer? {
            switch stage {
            case 0:
                stage = 1
                return body.prefix
            case 1:
                switch body.image {
                case .memory(let bytes):
                    stage = 2
                    return ByteBuffer(bytes: bytes)
                case .file(let path, let size):
                    if offset >= size {
                        stage = 2
                        return try await next()
                    }
                    let start = offset
                    let count = Swift.min(UploadBody.chunk, size - start)
                    let chunk = try await body.pool.runIfActive { try FileOperations.read(path, at: start, count: count) }
                    guard !chunk.isEmpty else { throw SystemCallError("read", path: path, errno: EIO) }  // shrank meanwhile
                    offset += chunk.count
                    return ByteBuffer(bytes: chunk)
                }
            case 2:
                stage = 3
                return body.suffix
            default:
                return nil
            }
        }
    }
}
