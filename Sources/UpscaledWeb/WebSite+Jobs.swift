import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import SystemPackage
import UpscaledCore
import UpscaledDaemon

/// One finished job as the API shows it.
struct JobJSON: Codable, Sendable {
    var id: String
    var outcome: String
    var file: String
    /// Root-relative, for people.
    var output: String?
    var original: String?
    var engine: String
    var target: String
    var inputWidth: Int?
    var inputHeight: Int?
    var width: Int?
    var height: Int?
    var code: String?
    var reason: String?
    var host: String
    var finishedAt: String
    var seconds: Double
    /// Where the page finds the result, the original and a thumbnail (when there are files).
    var resultURL: String?
    var originalURL: String?
    var thumbURL: String?

    init(_ entry: HistoryEntry) {
        id = entry.id
        outcome = entry.outcome.rawValue
        file = entry.file
        output = entry.outputBase64.flatMap(JobPaths.relative).map(\.display)
        original = entry.originalBase64.flatMap(JobPaths.relative).map(\.display)
        engine = entry.engine
        target = entry.target
        inputWidth = entry.inputWidth
        inputHeight = entry.inputHeight
        width = entry.width
        height = entry.height
        code = entry.code
        reason = entry.reason
        host = entry.host
        finishedAt = entry.finishedAt
        seconds = entry.seconds
        if output != nil {
            resultURL = "/api/jobs/\(entry.id)/result"
            thumbURL = "/api/jobs/\(entry.id)/thumb"
        }
        if original != nil { originalURL = "/api/jobs/\(entry.id)/original" }
    }
}

struct JobsPageJSON: Codable, Sendable {
    var total: Int
    var offset: Int
    var limit: Int
    var items: [JobJSON]
}

/// The history's paths are the daemon's own, but its file is a file: each is used only if it
/// stays under the root (relative, no `.`/`..`, `outbox/` or `archive/` first).
enum JobPaths {
    static func relative(_ base64: String) -> FilePath? {
        guard let path = FilePath(base64: base64), !path.isAbsolute, let first = path.components.first,
              ["outbox", "archive"].contains(first.string), path.components.count > 1 else { return nil }
        for component in path.components where component.kind != .regular || component.string.isEmpty { return nil }
        return path
    }
}

extension WebSite {
    func addJobs(to router: Router<BasicRequestContext>) {
        router.get("/api/jobs") { request, _ in
            let query = try ShelfQuery(request.uri)
            var outcome: HistoryEntry.Outcome?
            if let text = request.uri.queryParameters["outcome"] {
                guard let chosen = HistoryEntry.Outcome(rawValue: String(text)) else {
                    throw HTTPError(.badRequest, message: "outcome must be done, failed or quarantined")
                }
                outcome = chosen
            }
            let found = self.parts.history.recent(offset: query.offset, limit: query.limit, outcome: outcome, text: query.needle)
            return WebSite.json(JobsPageJSON(total: found.total, offset: query.offset, limit: query.limit, items: found.entries.map(JobJSON.init)))
        }
        router.get("/api/jobs/:id") { _, context in
            WebSite.json(JobJSON(try self.job(context)))
        }
        router.get("/api/jobs/:id/result") { request, context in
            try await self.serveJobFile(try self.job(context).outputBase64, request: request)
        }
        router.get("/api/jobs/:id/original") { request, context in
            try await self.serveJobFile(try self.job(context).originalBase64, request: request)
        }
        router.get("/api/jobs/:id/thumb") { request, context in
            let entry = try self.job(context)
            let side = request.uri.queryParameters["of"] == "original" ? entry.originalBase64 : entry.outputBase64
            guard let relative = side.flatMap(JobPaths.relative) else { throw Self.noSuchJob }
            return try await self.serveThumbnail(self.parts.layout.root.appending(relative.components))
        }
        router.get("/api/events") { _, _ in self.events() }
    }

    static let noSuchJob = HTTPError(.notFound, message: "no such job in this host's history, or its file is gone")

    func job(_ context: BasicRequestContext) throws -> HistoryEntry {
        let id = try context.parameters.require("id")
        guard id.count < 64, let entry = parts.history.entry(id: id) else { throw Self.noSuchJob }
        return entry
    }

    func serveJobFile(_ base64: String?, request: Request) async throws -> Response {
        guard let relative = base64.flatMap(JobPaths.relative),
              let response = try await stream(parts.layout.root.appending(relative.components), inode: nil, request: request) else {
            throw Self.noSuchJob
        }
        return response
    }
}
