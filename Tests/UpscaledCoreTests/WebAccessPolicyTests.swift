import Testing
import UpscaledCore

/// The page's door, decided from headers alone: the Host check, the token, the origin of
/// anything that changes something. The real server's answers: `WebAccessTests`.
@Suite struct WebAccessPolicyTests {
    let policy = WebAccessPolicy(listen: .tcp(host: "127.0.0.1", port: 0), token: "secret-token-0123456789",
                                 session: "session-mac", port: 8754)

    func request(_ method: String = "GET", path: String = "/api/status", host: String? = "127.0.0.1:8754",
                 origin: String? = nil, site: String? = nil, bearer: String? = nil, cookie: String? = nil) -> WebAccessPolicy.Request {
        .init(method: method, path: path, host: host, origin: origin, fetchSite: site,
              authorization: bearer.map { "Bearer \($0)" }, sessionCookie: cookie)
    }

    @Test func withoutTheTokenEveryPathIsUnauthorizedButTheLoginForm() {
        for path in ["/", "/api/status", "/api/failed/f0123/file", "/does-not-exist", "/metrics"] {
            #expect(policy.verdict(request(path: path)) == .unauthorized)
            #expect(policy.verdict(request(path: path, bearer: "secret-token-012345678")) == .unauthorized)   // one short
            #expect(policy.verdict(request(path: path, cookie: "secret-token-0123456789")) == .unauthorized)  // the token is not a session
        }
        #expect(policy.verdict(request(path: "/login")) == .allow(.none))
        #expect(policy.verdict(request(path: "/static/app.js")) == .allow(.none))
    }

    @Test func theBearerTokenAndTheSessionCookieEachLetIn() {
        #expect(policy.verdict(request(bearer: "secret-token-0123456789")) == .allow(.bearer))
        #expect(policy.verdict(request(cookie: "session-mac")) == .allow(.cookie))
    }

    @Test func onLoopbackOnlyThisMachinesNamesAreAccepted() {
        for host in ["127.0.0.1:8754", "localhost:8754", "LOCALHOST:8754", "[::1]:8754"] {
            #expect(policy.verdict(request(host: host, bearer: "secret-token-0123456789")) == .allow(.bearer), "\(host)")
        }
        // A rebinding attacker's name, the right name on another port, no Host at all.
        for host in ["evil.example:8754", "127.0.0.1:9999", "127.0.0.1", "127.0.0.1.evil.example:8754", nil] as [String?] {
            #expect(policy.verdict(request(host: host, bearer: "secret-token-0123456789")) == .wrongHost, "\(host ?? "none")")
        }
        // Beyond loopback (a NAS on the LAN, behind a proxy) the token alone decides.
        let lan = WebAccessPolicy(listen: .tcp(host: "0.0.0.0", port: 8754), token: "secret-token-0123456789", session: "s", port: 8754)
        #expect(lan.verdict(request(host: "nas.lan:8754", bearer: "secret-token-0123456789")) == .allow(.bearer))
        #expect(lan.verdict(request(host: "nas.lan:8754")) == .unauthorized)
    }

    @Test func aChangeWithTheCookieMustComeFromThePageItself() {
        let post = { (origin: String?, site: String?) in
            policy.verdict(request("POST", path: "/api/failed/x/retry", origin: origin, site: site, cookie: "session-mac"))
        }
        #expect(post("http://127.0.0.1:8754", nil) == .allow(.cookie))
        #expect(post(nil, "same-origin") == .allow(.cookie))
        #expect(post("http://evil.example", nil) == .crossSite)
        #expect(post("null", nil) == .crossSite)
        #expect(post(nil, "cross-site") == .crossSite)
        #expect(post(nil, nil) == .crossSite)
        #expect(post("null", "same-origin") == .allow(.cookie))               // Chromium with no-referrer
        #expect(post("http://127.0.0.1:8754", "cross-site") == .crossSite)    // the browser's word wins
        // A script with the bearer token needs no Origin; a browser cannot send one cross-site.
        #expect(policy.verdict(request("POST", bearer: "secret-token-0123456789")) == .allow(.bearer))
        #expect(policy.verdict(request("POST", origin: "http://evil.example", bearer: "secret-token-0123456789")) == .crossSite)
        // The login form is open, but not to other sites.
        #expect(policy.verdict(request("POST", path: "/login", origin: "http://127.0.0.1:8754")) == .allow(.none))
        #expect(policy.verdict(request("POST", path: "/login", origin: "http://evil.example")) == .crossSite)
    }

    @Test func listenAddressesParse() {
        #expect(WebConfig.Listen(parsing: "off") == .off)
        #expect(WebConfig.Listen(parsing: "127.0.0.1:8754") == .tcp(host: "127.0.0.1", port: 8754))
        #expect(WebConfig.Listen(parsing: "[::1]:80") == .tcp(host: "::1", port: 80))
        #expect(WebConfig.Listen(parsing: "0.0.0.0:0") == .tcp(host: "0.0.0.0", port: 0))
        #expect(WebConfig.Listen(parsing: "/run/user/1000/upscaled.sock") == .unix(path: "/run/user/1000/upscaled.sock"))
        for bad in ["", "8754", "127.0.0.1", "127.0.0.1:99999", "::1:80", "host name:80", ":80", "relative/sock"] {
            #expect(WebConfig.Listen(parsing: bad) == nil, "\(bad)")
        }
        #expect(WebConfig.Listen.tcp(host: "127.0.0.1", port: 1).isLoopback && WebConfig.Listen.tcp(host: "::1", port: 1).isLoopback)
        #expect(!WebConfig.Listen.tcp(host: "0.0.0.0", port: 1).isLoopback && !WebConfig.Listen.unix(path: "/s").isLoopback)
    }

    @Test func markupInNamesBecomesText() {
        #expect(HTMLText.escape("<script>alert(1)</script>.png") == "&lt;script&gt;alert(1)&lt;/script&gt;.png")
        #expect(HTMLText.escape("a\"b'c&d`e") == "a&quot;b&#39;c&amp;d&#96;e")
        #expect(HTMLText.escape("line\nbreak\u{7F}") == "line\u{FFFD}break\u{FFFD}")
        #expect(HTMLText.queryValue("a b/ü") == "a%20b%2F%C3%BC")
    }
}
