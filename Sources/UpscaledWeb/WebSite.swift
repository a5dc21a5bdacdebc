import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOPosix
import NIOCore
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledEngines
import UpscaledLinux

/// The routes of the page and its API, and what they share: the daemon's parts, the token,
/// the login codes. Every route is behind `AccessMiddleware`; every file is found by an id
/// (`ReviewShelf`), every blocking call runs on the page's own I/O threads.
final class WebSite: Sendable {
    let parts: DaemonParts
    let token: WebToken
    let logins: LoginCodes
    let thumbnails: Thumbnailer
    let streams = EventStreams()
    /// The page's own I/O threads: its listings, moves and reads never queue in front of the
    /// pipeline's claims on the daemon's I/O pool, however many clients there are.
    let files: NIOThreadPool
    /// Known once the server listens (the port may have been 0).
    private let policy = Mutex<WebAccessPolicy?>(nil)

    init(parts: DaemonParts, token: WebToken, logins: LoginCodes, files: NIOThreadPool) {
        self.parts = parts
        self.files = files
        self.token = token
        self.logins = logins
        // Previews are made by this very executable, run as `upscaled thumbnail-helper`.
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map { FilePath($0) }
        thumbnails = Thumbnailer(cache: parts.layout.thumbnails, helper: executable)
    }

    func accept(port: Int) {
        let policy = WebAccessPolicy(listen: parts.config.web.listen, token: token.value, session: token.sessionValue, port: port)
        self.policy.withLock { $0 = policy }
    }

    var accessPolicy: WebAccessPolicy? { policy.withLock { $0 } }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: AccessMiddleware(site: self))
        addPages(to: router)
        addAPI(to: router)
        addJobs(to: router)
        return router
    }

    /// Runs blocking file work on the page's I/O threads.
    func io<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await files.runIfActive(work)
    }

    func shelf(_ kind: ReviewShelf.Kind) -> ReviewShelf { ReviewShelf(kind, layout: parts.layout) }

    /// The last listing of each shelf, reused while its folders are unchanged.
    private let listings = Mutex<[ReviewShelf.Kind: ReviewShelf.Listing]>([:])

    /// A shelf's items, from the last listing while it is current. Blocking: on `io`. Actions
    /// look their file up afresh (`ReviewShelf.item`); serving a file checks its inode anyway.
    func items(_ shelf: ReviewShelf) -> [ReviewShelf.Item] {
        if let cached = listings.withLock({ $0[shelf.kind] }), shelf.isCurrent(cached) { return cached.items }
        let fresh = shelf.listing()
        listings.withLock { $0[shelf.kind] = fresh }
        return fresh.items
    }

    /// The item with `id` on a shelf, from the current listing.
    func item(_ shelf: ReviewShelf, id: String) -> ReviewShelf.Item? {
        items(shelf).first { $0.id == id }
    }

    // MARK: answers

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data + [0x0A])))
    }

    /// An error for people and scripts alike: `{"error": "..."}` with the status.
    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// Every request passes here first: the Host check (DNS rebinding), the token (401, the same
/// for every path), the origin of anything that is not a GET (CSRF); then the headers that
/// keep a browser from framing, sniffing or leaking the page.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let site: WebSite

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let policy = site.accessPolicy else { return WebSite.problem(.serviceUnavailable, "starting") }
        let verdict = policy.verdict(.init(
            method: request.method.rawValue, path: request.uri.path, host: request.head.authority,
            origin: request.headers[.origin], fetchSite: request.headers[HTTPField.Name("Sec-Fetch-Site")!],
            authorization: request.headers[.authorization], sessionCookie: request.cookies[WebSite.sessionCookie]?.value))
        var response: Response
        switch verdict {
        case .allow:
            do { response = try await next(request, context) } catch let error as HTTPError {
                response = WebSite.problem(error.status, error.body ?? error.status.reasonPhrase)
            }
        case .unauthorized:
            response = WebSite.problem(.unauthorized, "this needs the page's token: run `upscaled web` for a login link, "
                                       + "or send Authorization: Bearer <the token in web.token_file>")
            response.headers[.wwwAuthenticate] = "Bearer"
        case .wrongHost:
            response = WebSite.problem(.forbidden, "this server does not answer to that Host name (DNS rebinding is refused); "
                                       + "open it as http://127.0.0.1 or http://localhost with its port")
        case .crossSite:
            response = WebSite.problem(.forbidden, "a request that changes something must come from the page itself (Origin)")
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
