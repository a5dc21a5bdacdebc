/// Who may do what on the page, decided from a request's headers alone (pure, so every rule is
/// tested in-process). Loopback is not private: any local user can connect, so every request
/// needs the token, as a bearer header (automation) or as the session cookie the login sets.
///
/// The order matters: a wrong `Host` (DNS rebinding) is refused before the token is looked at,
/// and without the token every path, existing or not, gets the same 401.
public struct WebAccessPolicy: Sendable {
    public enum Credential: Sendable, Equatable { case bearer, cookie, none }

    public enum Verdict: Sendable, Equatable {
        case allow(Credential)
        /// 401: no token, or a wrong one. The response says nothing else.
        case unauthorized
        /// 403 (`Host` is not this server's name): a rebinding page, or a proxy not configured.
        case wrongHost
        /// 403: a state-changing request whose origin is not this page.
        case crossSite
    }

    /// What one request brings; headers absent are nil.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var host: String?
        public var origin: String?
        public var fetchSite: String?
        public var authorization: String?
        public var sessionCookie: String?

        public init(method: String, path: String, host: String?, origin: String? = nil, fetchSite: String? = nil,
                    authorization: String? = nil, sessionCookie: String? = nil) {
            self.method = method
            self.path = path
            self.host = host
            self.origin = origin
            self.fetchSite = fetchSite
            self.authorization = authorization
            self.sessionCookie = sessionCookie
        }
    }

    public let listen: WebConfig.Listen
    private let token: [UInt8]
    private let session: [UInt8]
    /// The actual port (the configured one may be 0).
    private let port: Int

    /// `session`: the cookie's value, derived from the token by the caller (an HMAC), so the
    /// token itself never travels in a cookie and a new token ends every session.
    public init(listen: WebConfig.Listen, token: String, session: String, port: Int) {
        self.listen = listen
        self.token = Array(token.utf8)
        self.session = Array(session.utf8)
        self.port = port
    }

    /// Paths anyone may fetch: the login form (it carries its own one-time code) and its script.
    public static let openPaths: Set<String> = ["/login", "/static/app.js", "/static/app.css"]

    public func verdict(_ request: Request) -> Verdict {
        guard hostAllowed(request.host) else { return .wrongHost }
        let credential = credential(of: request)
        let safe = ["GET", "HEAD"].contains(request.method)
        if credential == .none && !Self.openPaths.contains(request.path) { return .unauthorized }
        if !safe && !sameOrigin(request, credential: credential) { return .crossSite }
        return .allow(credential)
    }

    /// On loopback only this machine's names for itself; a name a rebinding DNS gave is refused.
    /// Elsewhere (a LAN address, a Unix socket behind a proxy) the token alone decides.
    func hostAllowed(_ host: String?) -> Bool {
        guard listen.isLoopback else { return true }
        guard let host = host?.lowercased() else { return false }
        let names = ["127.0.0.1", "localhost", "[::1]"]
        if port == 80, names.contains(host) { return true }
        return names.contains { host == "\($0):\(port)" }
    }

    func credential(of request: Request) -> Credential {
        if let header = request.authorization, header.hasPrefix("Bearer "),
           Self.constantTimeEqual(Array(header.dropFirst(7).utf8), token) {
            return .bearer
        }
        if let cookie = request.sessionCookie, Self.constantTimeEqual(Array(cookie.utf8), session) { return .cookie }
        return .none
    }

    /// A browser's cross-site form or fetch carries its own `Origin` (or `Sec-Fetch-Site`); a
    /// bearer token cannot be sent cross-site without a CORS preflight, which is never granted.
    func sameOrigin(_ request: Request, credential: Credential) -> Bool {
        // A browser's own word first: no page can set Sec-Fetch-Site, and some requests carry
        // `Origin: null` (a privacy setting) though they come from the page itself.
        if let site = request.fetchSite { return site == "same-origin" }
        if let origin = request.origin {
            guard let host = request.host else { return false }
            return origin == "http://\(host)" || origin == "https://\(host)"
        }
        return credential == .bearer
    }

    /// Compares without an early exit, so the time taken says nothing about the token.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
