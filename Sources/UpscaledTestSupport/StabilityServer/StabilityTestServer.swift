import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on 127.0.0.1 that stands in for the Stability AI API, following
/// shared/stability-api.md: it checks the key, the headers and every multipart field it
/// receives against the documented limits, enforces the 150-requests-per-10-s limit with its
/// 60 s lock-out, and answers success in both shapes, content filtering, moderation, every
/// error status in both error shapes, slow answers, connection resets and the creative
/// 202-then-200 sequence. Tests script what it does next.
public final class StabilityTestServer: Sendable {
    public let key: String
    public let port: Int
    private let channel: any Channel
    let state: ServerStateBox

    public var url: String { "http://127.0.0.1:\(port)" }

    public init(key: String = "sk-test-\(UUID().uuidString.prefix(12))") async throws {
        self.key = key
        let state = ServerStateBox()
        self.state = state
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [key] channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(StabilityRequestHandler(key: key, state: state))
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    public func shutdown() async {
        try? await channel.close()
    }

    // MARK: - Scripting

    /// What the server does with the next upscale submissions, in order; then `.success` again.
    public func script(_ behaviours: [Behaviour]) {
        state.withLock { $0.script.append(contentsOf: behaviours) }
    }

    /// Whether the key is accepted (false: every request gets 401).
    public func setKeyAccepted(_ accepted: Bool) {
        state.withLock { $0.keyAccepted = accepted }
    }

    /// How many polls a creative generation answers 202 before its result is ready.
    public func setCreativePollsBeforeReady(_ polls: Int) {
        state.withLock { $0.creativePollsBeforeReady = polls }
    }

    /// Answer `/v2beta/results/{id}` with a plain 404 (as a server without that route would),
    /// so clients must fall back to the older creative result path.
    public func setResultsRouteMissing(_ missing: Bool) {
        state.withLock { $0.resultsRouteMissing = missing }
    }

    /// The v1 engines the server offers (esrgan-v1-x2plus by default).
    public func setV1Engines(_ engines: [String]) {
        state.withLock { $0.v1Engines = engines }
    }

    /// Delays every upscale answer by this much (for throughput benchmarks).
    public func setResponseDelay(_ seconds: Double) {
        state.withLock { $0.responseDelay = seconds }
    }

    /// Every request received so far.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// How many 429s the server has sent.
    public var rateLimitedCount: Int { state.withLock { $0.rateLimited } }

    public enum ErrorShape: Sendable, Equatable {
        /// v1's `{id, name, message}`.
        case v1
        /// v2beta's `{id, name, errors: [...]}`.
        case v2
        /// Not JSON at all (an HTML error page from a proxy).
        case html
    }

    public enum Behaviour: Sendable, Equatable {
        case success
        /// Success with `Accept` ignored: the JSON shape (`{image, finish_reason, seed}` / `{artifacts}`).
        case successJSON
        case contentFiltered
        /// v2beta 403 `content_moderation`.
        case moderation
        case status(Int, name: String, message: String, shape: ErrorShape)
        /// Answer after this many seconds.
        case slow(Double)
        /// Close the connection without answering.
        case reset
        /// Answer 429 and lock the key out for 60 s (as the API does).
        case rateLimited
    }
}

/// One request as the server saw it.
public struct RecordedRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [String: String]
    public var fields: [String: String]
    public var imageBytes: Int
    public var imageContentType: String?
    public var at: ContinuousClock.Instant
    public var status: Int
}

struct Generation: Sendable {
    var pollsLeft: Int
    var result: [UInt8]
    var contentType: String
}

/// The server's shared state behind one lock (a class, because `Mutex` cannot be copied).
final class ServerStateBox: Sendable {
    private let mutex = Mutex(ServerState())

    func withLock<T>(_ body: (inout ServerState) -> T) -> T {
        mutex.withLock { body(&$0) }
    }
}

struct ServerState: Sendable {
    var script: [StabilityTestServer.Behaviour] = []
    var keyAccepted = true
    var creativePollsBeforeReady = 1
    var resultsRouteMissing = false
    var v1Engines = ["esrgan-v1-x2plus"]
    var responseDelay = 0.0
    var requests: [RecordedRequest] = []
    var window: [ContinuousClock.Instant] = []
    var lockedUntil: ContinuousClock.Instant?
    var rateLimited = 0
    var generations: [String: Generation] = [:]
}
