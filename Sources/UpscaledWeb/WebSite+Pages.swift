import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import UpscaledCore
import UpscaledDaemon

extension WebSite {
    static let sessionCookie = "upscaled_session"

    func addPages(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let failed = try await self.page(.failed, ShelfQuery(limit: 10))
            let quarantine = try await self.page(.quarantine, ShelfQuery(limit: 10))
            let recent = self.parts.history.recent(offset: 0, limit: 12, outcome: .done)
            let jobs = JobsPageJSON(total: recent.total, offset: 0, limit: 12, items: recent.entries.map(JobJSON.init))
            let body = Self.notice(for: request.uri) + PageHTML.now(self.parts.status.snapshot)
                + PageHTML.recent(jobs, full: false, query: ShelfQuery(limit: 12), outcome: "done")
                + PageHTML.shelf(failed, query: ShelfQuery(limit: 10), full: false, engine: self.parts.config.engine)
                + PageHTML.shelf(quarantine, query: ShelfQuery(limit: 10), full: false, engine: self.parts.config.engine)
            return WebSite.html(PageHTML.document(title: "Upscaled", body: body))
        }
        for kind in ReviewShelf.Kind.allCases {
            router.get("/\(kind.rawValue)") { request, _ in
                let query = try ShelfQuery(request.uri)
                let body = Self.notice(for: request.uri) + PageHTML.shelf(try await self.page(kind, query), query: query, full: true,
                                                                                 engine: self.parts.config.engine)
                return WebSite.html(PageHTML.document(title: "Upscaled: \(kind.rawValue)", body: body))
            }
        }
        router.get("/jobs") { request, _ in
            let query = try ShelfQuery(request.uri)
            let outcome = request.uri.queryParameters["outcome"].flatMap { HistoryEntry.Outcome(rawValue: String($0)) }
            let found = self.parts.history.recent(offset: query.offset, limit: query.limit, outcome: outcome, text: query.needle)
            let page = JobsPageJSON(total: found.total, offset: query.offset, limit: query.limit, items: found.entries.map(JobJSON.init))
            return WebSite.html(PageHTML.document(title: "Upscaled: history",
                                                  body: PageHTML.recent(page, full: true, query: query, outcome: outcome?.rawValue)))
        }
        router.get("/jobs/:id") { _, context in
            let job = JobJSON(try self.job(context))
            return WebSite.html(PageHTML.document(title: "Upscaled: \(job.file)", body: PageHTML.job(job)))
        }
        // The page's buttons: the same actions as the API, answered with a way back.
        router.post("/act/:kind/:id/:action") { request, context in
            guard let kind = ReviewShelf.Kind(rawValue: try context.parameters.require("kind")) else {
                throw HTTPError(.notFound)
            }
            let action = try context.parameters.require("action")
            do {
                _ = try await self.act(kind, id: try context.parameters.require("id"), action: action,
                                       engine: try self.chosenEngine(request.uri))
                return WebSite.redirect("/\(kind.rawValue)?done=\(action)")
            } catch let error as HTTPError where error.status == .notFound || error.status == .conflict {
                return WebSite.redirect("/\(kind.rawValue)?\(error.status == .conflict ? "occupied" : "gone")=\(action)")
            }
        }
        router.get("/login") { request, _ in
            let code = request.uri.queryParameters["code"].map(String.init) ?? ""
            return WebSite.html(PageHTML.login(code: code))
        }
        router.post("/login") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1024)
            let form = String(buffer: body)
            let code = form.split(separator: "&").compactMap { pair -> String? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0] == "code" ? String(parts[1]) : nil
            }.first ?? ""
            let logins = self.logins
            guard try await self.io({ logins.spend(code) }) else {
                return WebSite.html(PageHTML.loginRefused(), status: .unauthorized)
            }
            var response = WebSite.redirect("/")
            // No Max-Age: a browser session; the cookie is the token's HMAC, good until the token changes.
            response.setCookie(Cookie(name: Self.sessionCookie, value: self.token.sessionValue, path: "/", httpOnly: true, sameSite: .strict))
            self.parts.logger.notice("page: a login link was used")
            return response
        }
        router.get("/static/app.js") { _, _ in Self.asset(StaticAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/static/app.css") { _, _ in Self.asset(StaticAssets.style, type: "text/css; charset=utf-8") }
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "private, max-age=300"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// What the last action did, from the fixed words in the query (never text from it).
    static func notice(for uri: URI) -> String {
        let query = uri.queryParameters
        let words = ["retry": "put back into the inbox; it will be processed again", "release": "moved to archive/",
                     "delete": "deleted"]
        if let action = query["done"].map(String.init), let text = words[action] { return PageHTML.notice("The file was \(text).") }
        if query["gone"] != nil { return PageHTML.notice("That file is no longer there: it was retried, released or deleted already.") }
        if query["occupied"] != nil { return PageHTML.notice("A file of that name is already where it would go; move that one first.") }
        return ""
    }
}

extension ShelfQuery {
    init(limit: Int) {
        self.limit = limit
    }
}
