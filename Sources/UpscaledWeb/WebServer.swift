import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledEngines
import UpscaledLinux

/// The page and its API, run as one more service of the daemon's group (`web.listen`).
///
/// Hummingbird's server, not its `Application`: the application adds a date cache that ticks
/// every second, and an idle daemon makes no wake-ups. With no client connected nothing here
/// runs; a connection's idle timer lives only as long as the connection. A server that cannot
/// listen (the port taken, no token) is logged and the daemon goes on filing files without it.
public struct WebServer: Service {
    let parts: DaemonParts

    public init(parts: DaemonParts) { self.parts = parts }

    public func run() async throws {
        let logger = parts.logger
        let config = parts.config.web
        let token: WebToken
        do {
            let file = FilePath(config.tokenFile)
            token = try await parts.io.runIfActive { try WebToken.loadOrCreate(file) }
        } catch {
            logger.error("the page is off: \(error)")
            try? await gracefulShutdown()
            return
        }
        if token.readableByOthers {
            logger.warning("the page's token file \(token.file.display) can be read by other users: chmod 600 it")
        }
        let address: BindAddress
        switch config.listen {
        case .off: return
        case .tcp(let host, let port): address = .hostname(host, port: port)
        case .unix(let path):
            Self.removeStaleSocket(FilePath(path))
            address = .unixDomainSocket(path: path)
        }
        // The page's blocking work on one thread of its own, at a lower priority, like its loop.
        let files = NIOThreadPool(numberOfThreads: 1)
        files.start()
        defer { files.shutdownGracefully { _ in } }
        _ = try? await files.runIfActive {
            nameCurrentThread("upscaled-web-io")
            lowerCurrentThreadPriority()
        }
        let executor = WebExecutor()
        let site = WebSite(parts: parts, token: token, logins: LoginCodes(layout: parts.layout), files: files)
        let responder = site.router().buildResponder()
        let status = parts.status
        let server = try HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [RequestHeadDeadline()], idleTimeout: .seconds(75))).buildServer(
            configuration: ServerConfiguration(address: address,
                                               availableConnectionsDelegate: .maximum(Self.maximumConnections, logger: logger)),
            eventLoopGroup: executor.group,
            logger: logger
        ) { request, writer, channel in
            let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do { response = try await responder.respond(to: request, context: context) } catch {
                response = WebSite.problem(.internalServerError, "the server could not answer; the journal has the details")
                logger.error("page: \(request.method) \(request.uri.path): \(error)")
            }
            response.headers[.date] = HTTPDate.now()
            try await writer.write(response: response.head, body: response.body)
        } onServerRunning: { channel in
            let bound = Self.describe(channel.localAddress, listen: config.listen)
            site.accept(port: channel.localAddress?.port ?? 0)
            // The owner and its group (a reverse proxy's user added to it); never everyone.
            if case .unix(let path) = config.listen { chmod(path, 0o660) }
            status.set(web: bound, tokenFile: token.file.string)
            logger.notice("the page is at \(bound) (run `upscaled web` for a login link)")
        }
        do {
            // Open event streams end with the shutdown, or the server would wait for them forever.
            try await withTaskExecutorPreference(executor) {
                try await withGracefulShutdownHandler {
                    try await server.run()
                } onGracefulShutdown: {
                    site.streams.endAll()
                }
            }
        } catch {
            logger.error("""
                the page cannot listen on \(config.listen) (web.listen): \(Self.explain(error)); the daemon goes on \
                without it. Choose another address, or "off", in [web] of config.toml
                """)
            status.set(web: nil)
            await executor.shutdown()
            try? await gracefulShutdown()
            return
        }
        status.set(web: nil)
        await site.thumbnails.stopHelper()
        await executor.shutdown()
    }

    /// Connections open at once; more wait in the listen backlog. The daemon's descriptors are
    /// shared with the pipeline: a local user opening thousands must not starve its claims.
    static let maximumConnections = 128

    static func describe(_ address: SocketAddress?, listen: WebConfig.Listen) -> String {
        switch listen {
        case .unix(let path): return path
        case .tcp(let host, let configured):
            let port = address?.port ?? configured
            let name = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
            return name.contains(":") ? "http://[\(name)]:\(port)" : "http://\(name):\(port)"
        case .off: return "off"
        }
    }

    /// A system call's failure in words (NIO's own description names its internal call).
    static func explain(_ error: any Error) -> String {
        guard let io = error as? IOError else { return "\(error)" }
        switch io.errnoCode {
        case EADDRINUSE: return "the address is already in use (another program, or another upscaled, listens there)"
        case EACCES: return "permission denied (ports below 1024 need privileges; a socket's folder must be writable)"
        case EADDRNOTAVAIL: return "this machine has no such address"
        default: return Errno(rawValue: io.errnoCode).description
        }
    }

    /// A socket file left by a daemon that died is removed; anything else at the path is not.
    static func removeStaleSocket(_ path: FilePath) {
        var info = stat()
        if lstat(path.string, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK { unlink(path.string) }
    }
}

/// The `Date` header, formatted per response (Hummingbird's cache of it ticks every second).
enum HTTPDate {
    static func now() -> String {
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
