import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The page's server in the real binary, as a hostile client meets it: without the token
/// nothing, from another Host nothing, no path from a request is ever followed, names are text.
@Suite struct WebAccessTests {
    /// A daemon with one failed file (`name`, not an image) and its page.
    func daemonWithAFailedFile(_ name: String = "broken.png") async throws -> (DaemonHarness, DaemonHarness.Page, String) {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        try h.drop(name) { try writeFile($0, Array("not an image at all".utf8)) }
        #expect(await eventually { exists(h.failed.appending(name)) })
        let listing = try await page.probe.get("/api/failed", token: page.token)
        let items = (listing.json as? [String: Any])?["items"] as? [[String: Any]] ?? []
        let id = try #require(items.first?["id"] as? String, "\(listing)")
        return (h, page, id)
    }

    @Test func withoutTheTokenEveryPathGetsTheSame401AndNothingChanges() async throws {
        let (h, page, id) = try await daemonWithAFailedFile()
        let probe = page.probe
        var bodies = Set<String>()
        for path in ["/", "/api/status", "/api/failed", "/api/failed/\(id)", "/api/failed/\(id)/file", "/api/failed/f00000000000000000000x1",
                     "/no/such/page", "/metrics", "/failed"] {
            for token in [nil, "wrong", String(page.token.dropLast()), page.token + "x"] {
                let answer = try await probe.get(path, token: token)
                #expect(answer.status == 401, "\(path): \(answer)")
                bodies.insert(answer.text)
            }
        }
        for action in ["retry", "delete"] {
            #expect(try await probe.post("/api/failed/\(id)/\(action)", token: nil).status == 401)
            // The token itself in the cookie is no session.
            #expect(try await probe.send("POST", "/api/failed/\(id)/\(action)", headers: ["Cookie": "upscaled_session=\(page.token)",
                                                                                     "Origin": page.address]).status == 401)
        }
        #expect(bodies.count == 1, "every refusal must look the same: \(bodies)")
        #expect(exists(h.failed.appending("broken.png")) && exists(h.failed.appending("broken.png.json")))
        #expect(try await probe.get("/api/status", token: page.token).status == 200)
        #expect(await h.stop() == 0)
    }

    @Test func aRequestForAnotherHostNameIsRefusedEvenWithTheToken() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        let port = page.probe.port
        for host in ["evil.example:\(port)", "127.0.0.1.nip.io:\(port)", "localhost:1"] {
            let answer = try await page.probe.send("GET", "/api/status", headers: ["Host": host, "Authorization": "Bearer \(page.token)"])
            #expect(answer.status == 403, "\(host): \(answer)")
        }
        for host in ["localhost:\(port)", "[::1]:\(port)"] {
            #expect(try await page.probe.send("GET", "/api/status", headers: ["Host": host, "Authorization": "Bearer \(page.token)"]).status == 200)
        }
        #expect(await h.stop() == 0)
    }

    /// `upscaled web` prints a link; its code logs in once, only from the page's own origin,
    /// into an HttpOnly SameSite=Strict cookie; with that cookie a change still needs the origin.
    @Test func theLoginLinkWorksOnceAndItsCookieCannotBeUsedCrossSite() async throws {
        let (h, page, id) = try await daemonWithAFailedFile()
        let printed = try await runUpscaled(["web", "--root", h.root.string, "--host-id", DaemonHarness.hostID], home: h.home.path)
        #expect(printed.status == 0, "\(printed.output)")
        let link = try #require(printed.output.split(separator: "\n").first { $0.contains("/login?code=") }, "\(printed.output)")
        let code = String(link.split(separator: "=").last ?? "")
        #expect(link.contains(page.address))
        let form = try await page.probe.get("/login?code=\(code)", token: nil)
        #expect(form.status == 200 && form.text.contains(code))
        let body = Array("code=\(code)".utf8)
        let contentType = "application/x-www-form-urlencoded"
        // Another site's form cannot spend it.
        #expect(try await page.probe.send("POST", "/login", headers: ["Origin": "http://evil.example", "Content-Type": contentType], body: body).status == 403)
        let login = try await page.probe.send("POST", "/login", headers: ["Origin": page.address, "Content-Type": contentType], body: body)
        #expect(login.status == 303, "\(login)")
        let setCookie = try #require(login.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && !setCookie.contains(page.token))
        let cookie = String(setCookie.split(separator: ";")[0])
        // Once only.
        #expect(try await page.probe.send("POST", "/login", headers: ["Origin": page.address, "Content-Type": contentType], body: body).status == 401)
        #expect(try await page.probe.send("GET", "/", headers: ["Cookie": cookie]).status == 200)
        // A change with the cookie but from elsewhere, or with no origin at all: refused, nothing moves.
        for headers in [["Cookie": cookie, "Origin": "http://evil.example"], ["Cookie": cookie]] {
            #expect(try await page.probe.send("POST", "/api/failed/\(id)/delete", headers: headers).status == 403)
        }
        #expect(exists(h.failed.appending("broken.png")))
        let delete = try await page.probe.send("POST", "/act/failed/\(id)/delete", headers: ["Cookie": cookie, "Origin": page.address])
        #expect(delete.status == 303 && delete.header("Location") == "/failed?done=delete")
        #expect(listFiles(h.failed).isEmpty)
        #expect(await h.stop() == 0)
    }

    @Test func filesAreAddressedByIdsAndNoPathFromARequestIsFollowed() async throws {
        let (h, page, id) = try await daemonWithAFailedFile()
        symlink("/etc/passwd", h.failed.appending("passwd.png").string)
        try writeFile(h.root.appending("secret.png"), Array("root secret".utf8))
        let probe = page.probe
        for path in ["/api/failed/..%2F..%2Fsecret.png/file", "/api/failed/../../secret.png", "/api/failed/%2Fetc%2Fpasswd/file",
                     "/api/failed/passwd.png/file", "/api/failed/broken.png/file", "/api/failed/\(id)x/file",
                     "/api/failed/%2e%2e/file", "/static/../../secret.png", "/api/quarantine/\(id)/file", "/api/failed/\(id)/../../../secret.png"] {
            let answer = try await probe.get(path, token: page.token)
            #expect([400, 404].contains(answer.status), "\(path): \(answer)")
            #expect(!answer.text.contains("root secret") && !answer.text.contains("root:x:0"))
        }
        let listing = try await probe.get("/api/failed", token: page.token)
        #expect(!listing.text.contains("passwd"), "a symlink is never listed: \(listing)")
        let file = try await probe.get("/api/failed/\(id)/file", token: page.token)
        #expect(file.status == 200 && file.text == "not an image at all")
        #expect(file.header("Content-Type") == "application/octet-stream" && file.header("Content-Disposition")?.hasPrefix("attachment") == true)
        for bad in ["retry-twice", "release", "..", "delete%00"] {
            #expect(try await probe.post("/api/failed/\(id)/\(bad)", token: page.token).status == 404)
        }
        #expect(try await probe.get("/api/failed?limit=100000", token: page.token).status == 400)
        #expect(try await probe.get("/api/failed?offset=-1", token: page.token).status == 400)
        #expect(exists(h.failed.appending("broken.png")))
        #expect(await h.stop() == 0)
    }

    @Test func markupInANameIsShownAsText() async throws {
        let name = "<img src=x onerror=alert(1)>.png"
        let (h, page, _) = try await daemonWithAFailedFile(name)
        for path in ["/", "/failed", "/failed?q=%3Cimg"] {
            let html = try await page.probe.get(path, token: page.token)
            #expect(html.status == 200)
            #expect(html.text.contains("&lt;img src=x onerror=alert(1)&gt;.png"), "\(path)")
            #expect(!html.text.contains("<img src=x"), "\(path)")
            #expect(html.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        }
        #expect(await h.stop() == 0)
    }

    @Test func aTakenPortIsLoggedAndTheDaemonGoesOnFilingFiles() async throws {
        let first = try DaemonHarness()
        let page = try await first.startWithPage()
        let second = try DaemonHarness()
        try await second.start(["--web-listen", "127.0.0.1:\(page.probe.port)"])
        try second.drop("a.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(second.outbox.appending("a.png")) })
        #expect(await eventually { second.daemon?.log.contains("the page cannot listen on 127.0.0.1:\(page.probe.port)") == true })
        #expect(await second.stop() == 0)
        #expect(await first.stop() == 0)
    }

    /// Behind a reverse proxy: a Unix socket (mode 0660), the token still needed, any Host.
    @Test func onAUnixSocketTheTokenIsStillNeeded() async throws {
        let h = try DaemonHarness()
        let path = h.home.path.appending("page.sock").string
        try await h.start(["--web-listen", path])
        let page = try await h.page()
        #expect(page.address == path)
        let probe = HTTPProbe(socketPath: path)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o660)
        #expect(try await probe.get("/api/status", token: nil).status == 401)
        let answer = try await probe.send("GET", "/api/status", headers: ["Host": "upscaled.nas.example", "Authorization": "Bearer \(page.token)"])
        #expect(answer.status == 200 && answer.text.contains("\"web\":\"\(path)\""), "\(answer)")
        // A socket left by a daemon that died is replaced at the next start.
        h.daemon?.signal(SIGKILL)
        #expect(await h.daemon?.waitForExit() != nil)
        #expect(FileManager.default.fileExists(atPath: path), "a killed daemon leaves its socket")
        try await h.restart()
        #expect(try await h.page().address == path)
        #expect(try await probe.get("/api/status", token: page.token).status == 200)
        #expect(await h.stop() == 0)
    }

    /// A local user opening hundreds of idle connections takes at most the page's share of the
    /// daemon's descriptors, and files still go through.
    @Test func aFloodOfConnectionsDoesNotStarveThePipeline() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        let pid = try #require(h.daemon).process.processIdentifier
        var flood: [CInt] = []
        defer { flood.forEach { close($0) } }
        for _ in 0..<400 { flood.append(connectWithoutWaiting(to: page.probe.port)) }
        try await Task.sleep(for: .seconds(1))
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? 0
        #expect(descriptors < 300, "the daemon holds \(descriptors) descriptors with 400 connections waiting")
        try h.drop("a.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("a.png")) })
        flood.forEach { close($0) }
        flood = []
        #expect(await eventuallyAsync { (try? await page.probe.get("/api/status", token: page.token))?.status == 200 })
        #expect(await h.stop() == 0)
    }

    /// Slowloris: more connections than the page takes at once, each sending a header line every
    /// two seconds and never finishing its request. Each is closed when its head is not in after
    /// ten seconds, so a request with the token still gets through while they trickle on.
    @Test func slowRequestHeadsCannotHoldThePage() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        var slow: [CInt] = []
        defer { slow.forEach { close($0) } }
        for _ in 0..<140 { slow.append(connectWithoutWaiting(to: page.probe.port)) }
        let trickle = { (line: String) in
            for fd in slow { _ = Array(line.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) } }
        }
        try await Task.sleep(for: .milliseconds(300))
        trickle("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:\(page.probe.port)\r\n")
        let started = ContinuousClock.now
        let answer = Task { () -> (Int, Duration) in
            try await Task.sleep(for: .seconds(4))
            let asked = ContinuousClock.now
            let status = (try? await page.probe.get("/api/status", token: page.token))?.status ?? -1
            return (status, ContinuousClock.now - asked)
        }
        while ContinuousClock.now - started < .seconds(26) {
            try await Task.sleep(for: .seconds(2))
            trickle("X-Slow: 1\r\n")
        }
        let (status, took) = try await answer.value
        #expect(status == 200, "a request with the token did not get through the slow connections")
        // Without the deadline it would wait for as long as they trickle (22 s more here), then time out.
        #expect(took < .seconds(21), "it waited \(took) behind them")
        #expect(await h.stop() == 0)
    }
}

/// A TCP connection to 127.0.0.1:`port`, non-blocking: one beyond the listen backlog waits in
/// the kernel, not in the test.
func connectWithoutWaiting(to port: Int) -> CInt {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    _ = HTTPProbe.connectLoopback(fd, port: port)
    return fd
}
