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

/// One file of failed/ or quarantine/ as the API shows it.
struct ShelfItemJSON: Codable, Sendable {
    var id: String
    var folder: String
    /// Relative to its folder (lossy for names that are not UTF-8).
    var name: String
    var size: Int64
    var modified: String
    var code: String?
    var reason: String?
    var engine: String?
    var filedAt: String?
    var details: [String: String]?
    /// Where its bytes are served.
    var file: String
}

struct ShelfPageJSON: Codable, Sendable {
    var folder: String
    var total: Int
    var offset: Int
    var limit: Int
    var items: [ShelfItemJSON]
}

struct ActionJSON: Codable, Sendable {
    var outcome: String
    /// Where the file is now, root-relative (absent when deleted).
    var path: String?
}

/// What a listing asks for: `offset`, `limit` (1…500, default 50) and `q` (a part of the name,
/// any case). Anything else in the query is ignored; nonsense gets 400.
struct ShelfQuery: Sendable {
    static let defaultLimit = 50
    var offset = 0
    var limit = ShelfQuery.defaultLimit
    /// As typed (the search box shows it back so).
    var text = ""
    /// What names are matched against, in lower case as they are.
    var needle: String { text.lowercased() }

    /// `limit` and `q` for the newer/older links (HTML-escaped), so the next page keeps both.
    var pagingParameters: String {
        (limit == Self.defaultLimit ? "" : "&amp;limit=\(limit)") + (text.isEmpty ? "" : "&amp;q=\(HTMLText.queryValue(text))")
    }

    init(_ uri: URI) throws(HTTPError) {
        let query = uri.queryParameters
        if let value = query["offset"] {
            guard let number = Int(value), number >= 0 else { throw HTTPError(.badRequest, message: "offset must be a whole number ≥ 0") }
            offset = number
        }
        if let value = query["limit"] {
            guard let number = Int(value), (1...500).contains(number) else { throw HTTPError(.badRequest, message: "limit must be 1 to 500") }
            limit = number
        }
        if let value = query["q"] {
            guard value.utf8.count <= 200 else { throw HTTPError(.badRequest, message: "q is longer than 200 bytes") }
            text = String(value)
        }
    }
}

extension WebSite {
    func addAPI(to router: Router<BasicRequestContext>) {
        router.get("/api/status") { _, _ in WebSite.json(self.parts.status.snapshot) }
        router.get("/metrics") { _, _ in
            let text = self.parts.metrics?.render() ?? []
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        for kind in ReviewShelf.Kind.allCases {
            router.get("/api/\(kind.rawValue)") { request, _ in
                WebSite.json(try await self.page(kind, ShelfQuery(request.uri)))
            }
            router.get("/api/\(kind.rawValue)/:id") { _, context in
                let id = try context.parameters.require("id")
                guard let item = try await self.describe(kind, id: id) else { throw Self.notOnShelf(kind) }
                return WebSite.json(item)
            }
            router.get("/api/\(kind.rawValue)/:id/file") { request, context in
                try await self.serveFile(kind, id: try context.parameters.require("id"), request: request)
            }
            router.get("/api/\(kind.rawValue)/:id/thumb") { _, context in
                let shelf = self.shelf(kind)
                let id = try context.parameters.require("id")
                guard let item = try await self.io({ self.item(shelf, id: id) }) else { throw Self.notOnShelf(kind) }
                return try await self.serveThumbnail(shelf.path(of: item))
            }
            router.post("/api/\(kind.rawValue)/:id/:action") { request, context in
                let (outcome, status) = try await self.act(kind, id: try context.parameters.require("id"),
                                                           action: try context.parameters.require("action"),
                                                           engine: try self.chosenEngine(request.uri))
                return WebSite.json(outcome, status: status)
            }
        }
    }

    static func notOnShelf(_ kind: ReviewShelf.Kind) -> HTTPError {
        HTTPError(.notFound, message: "no such file in \(kind.rawValue)/ (it may have been retried, released or deleted already)")
    }

    func page(_ kind: ReviewShelf.Kind, _ query: ShelfQuery) async throws -> ShelfPageJSON {
        let shelf = self.shelf(kind)
        return try await io {
            var items = self.items(shelf)
            let needle = query.needle                   // once, not once per name
            if !needle.isEmpty { items = items.filter { $0.relative.display.lowercased().contains(needle) } }
            let slice = items.dropFirst(query.offset).prefix(query.limit)
            return ShelfPageJSON(folder: kind.rawValue, total: items.count, offset: query.offset, limit: query.limit,
                                 items: slice.map { Self.describe($0, on: shelf) })
        }
    }

    func describe(_ kind: ReviewShelf.Kind, id: String) async throws -> ShelfItemJSON? {
        let shelf = self.shelf(kind)
        return try await io { self.item(shelf, id: id).map { Self.describe($0, on: shelf) } }
    }

    static func describe(_ item: ReviewShelf.Item, on shelf: ReviewShelf) -> ShelfItemJSON {
        let sidecar = shelf.sidecar(of: item)
        return ShelfItemJSON(
            id: item.id, folder: shelf.kind.rawValue, name: item.relative.display, size: item.size,
            modified: WallClock.iso8601(Date(timeIntervalSince1970: item.modified)), code: sidecar?.code.rawValue,
            reason: sidecar?.reason, engine: sidecar?.engine, filedAt: sidecar?.filedAt,
            details: sidecar.map(\.details).flatMap { $0.isEmpty ? nil : $0 },
            file: "/api/\(shelf.kind.rawValue)/\(item.id)/file")
    }

    /// A retry's `?engine=`: nil for the daemon's own; one of `AlternateEngines.choices`; else 400.
    func chosenEngine(_ uri: URI) throws(HTTPError) -> String? {
        guard let value = uri.queryParameters["engine"].map(String.init), value != parts.config.engine else { return nil }
        guard AlternateEngines.choices.contains(value) else {
            throw HTTPError(.badRequest, message: "engine must be one of \(AlternateEngines.choices.joined(separator: ", ")) "
                            + "or this daemon's own (\(parts.config.engine))")
        }
        return value
    }

    /// Runs `action` (retry, delete; release for quarantine) on the file `id`, exactly once;
    /// a retry with `engine`, when given, is done by that engine.
    func act(_ kind: ReviewShelf.Kind, id: String, action: String, engine: String? = nil) async throws -> (ActionJSON, HTTPResponse.Status) {
        guard ["retry", "delete"].contains(action) || (kind == .quarantine && action == "release") else {
            throw HTTPError(.notFound, message: "no action '\(action)' for \(kind.rawValue)/; there are retry, delete"
                            + (kind == .quarantine ? " and release" : ""))
        }
        let shelf = self.shelf(kind)
        let actions = ReviewActions(layout: parts.layout)
        let outcome: ReviewActions.Outcome? = try await io {
            guard let item = shelf.item(id: id) else { return nil }
            switch action {
            case "retry": return try actions.retry(item, on: shelf, engine: engine)
            case "release": return try actions.release(item, on: shelf)
            default: return try actions.delete(item, on: shelf)
            }
        }
        switch outcome {
        case nil, .gone?:
            throw Self.notOnShelf(kind)
        case .occupied(let path)?:
            throw HTTPError(.conflict, message: "\(path.display) is taken by another file; move that one first, then try again")
        case .done(let path)?:
            parts.logger.notice("page: \(action)\(engine.map { " with the \($0) engine" } ?? "") of \(kind.rawValue)/ file \(id)\(path.map { " → \($0.display)" } ?? "")")
            return (ActionJSON(outcome: action == "delete" ? "deleted" : action == "retry" ? "retried" : "released",
                               path: path?.display), .ok)
        }
    }
}
