import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import NIOHTTP1
import UpscaledCore

/// One answer from the API, fully read.
public struct StabilityResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var contentType: String { header("content-type")?.lowercased() ?? "" }
    public var error: APIErrorBody { APIErrorBody.decode(body, contentType: header("content-type")) }
}

/// A request that never got an HTTP answer: time-out, reset, refused connection.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Talks HTTP to the Stability API through one shared AsyncHTTPClient: the key, the optional
/// organization and client headers on every request, a timeout per request, and every request
/// through the rate limiter first.
public final class StabilityClient: Sendable {
    private let http: HTTPClient
    /// Replaced on reload: the key is read again from where it came from (`setKey`).
    private let key: Mutex<APIKey>
    private let config: StabilityConfig
    public let limiter: RateLimiter
    /// How many requests were sent, by path (for status and tests).
    public let host: String

    public init(key: APIKey, config: StabilityConfig) {
        self.key = Mutex(key)
        self.config = config
        self.host = config.host.hasSuffix("/") ? String(config.host.dropLast()) : config.host
        // The API counts 10 s windows on its own clock, at arrival. Our window is one second
        // longer, so network and server jitter of up to a second can never make it see more than
        // `requests_per_10s` in any 10 s (measured: bench/cloud-throughput.py).
        self.limiter = RateLimiter(limit: config.requestsPer10Seconds, window: .seconds(11))
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(15))
        configuration.httpVersion = .automatic
        configuration.decompression = .disabled
        // One connection per request in flight (AHC's default caps a host at 8).
        configuration.connectionPool = .init(idleTimeout: .seconds(60),
                                             concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, config.concurrency))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// The key for every request from now on.
    public func setKey(_ newKey: APIKey) {
        key.withLock { $0 = newKey }
    }

    /// Sends one request (after the rate limiter lets it through) and reads the whole answer.
    public func send(_ method: HTTPMethod, _ path: String, accept: String?, body: UploadBody? = nil,
                     organizationHeader: Bool = false) async throws -> StabilityResponse {
        try await limiter.acquire()
        var request = HTTPClientRequest(url: host + path)
        request.method = method
        request.headers.add(name: "Authorization", value: key.withLock { $0.bearer })
        if let accept { request.headers.add(name: "Accept", value: accept) }
        request.headers.add(name: "Stability-Client-ID", value: String(config.clientID.prefix(256)))
        if let version = config.clientVersion { request.headers.add(name: "Stability-Client-Version", value: String(version.prefix(256))) }
        if organizationHeader, let organization = config.organization { request.headers.add(name: "Organization", value: organization) }
        if let body {
            request.headers.add(name: "Content-Type", value: body.contentType)
            request.body = body.body()
        }
        let deadline = TimeAmount.seconds(Int64(config.timeoutSeconds))
        do {
            let response = try await http.execute(request, timeout: deadline)
            let collected = try await response.body.collect(upTo: 128 << 20)
            return StabilityResponse(status: Int(response.status.code),
                                     headers: response.headers.map { ($0.name, $0.value) },
                                     body: Array(collected.readableBytesView))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw TransportError(description: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout: return "the request timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .connectTimeout: return "connecting timed out"
            default: return "HTTP client error: \(client)"
            }
        }
        let text = "\(error)"
        if text.contains("connectionReset") || text.contains("Connection reset") { return "the connection was reset" }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "the connection was refused" }
        return text
    }
}
