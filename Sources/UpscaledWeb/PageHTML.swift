import UpscaledCore
import UpscaledDaemon

/// The page's HTML, written out here: no template engine, no build step, nothing fetched from
/// elsewhere. Everything that comes from a file or a request passes through `HTMLText.escape`
/// (`e` below); ids are the daemon's own (letters and digits).
enum PageHTML {
    static func e(_ text: String) -> String { HTMLText.escape(text) }

    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title><link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
        <body><header><a class="brand" href="/">Upscaled</a><nav><a href="/">Now</a><a href="/failed">Failed</a>\
        <a href="/quarantine">Quarantine</a><a href="/jobs">History</a><a href="/api/status">API</a></nav></header><main>
        \(body)
        </main></body></html>
        """
    }

    /// The "now" panel; `app.js` keeps it current from the event stream (`/api/events`),
    /// setting each `data-k` field's text (never markup) from the snapshot.
    static func now(_ s: StatusSnapshot) -> String {
        var rows = [("state", "state", s.state.rawValue), ("watching", "mode", s.mode), ("engine", "engine", "\(s.engine) \(s.target)"),
                    ("queued", "queued", "\(s.queued)"), ("in flight", "inFlight", "\(s.inFlight)"), ("done", "done", "\(s.done)"),
                    ("failed", "failed", "\(s.failed)"), ("quarantined", "quarantined", "\(s.quarantined)")]
        rows.append(("note", "note", s.note ?? ""))
        rows.append(("last error", "lastError", s.lastError ?? ""))
        let jobs = (s.progress ?? []).map { job in
            "<li>\(e(job.file)) <progress max=\"\(job.total)\" value=\"\(job.done)\"></progress> \(job.done)/\(job.total) tiles</li>"
        }.joined()
        return """
            <section id="now" class="state-\(s.state.rawValue)"><h1>Now: <span class="badge" data-k="state">\(e(s.state.rawValue))</span> \
            <span class="live" id="live" hidden>live</span></h1>
            <dl>\(rows.map { "<dt>\(e($0.0))</dt><dd data-k=\"\($0.1)\">\(e($0.2))</dd>" }.joined())</dl>\
            <ul class="jobs" id="progress">\(jobs)</ul><p class="updated">updated <span data-k="updatedAt">\(e(s.updatedAt))</span></p></section>
            """
    }

    /// One shelf (failed/ or quarantine/): a search box, one row per file with its reason and
    /// its actions (forms that POST; the server checks their origin), and paging links.
    /// `engine`: the daemon's; a quarantined file can also be retried with each other offline one.
    static func shelf(_ page: ShelfPageJSON, query: ShelfQuery, full: Bool, engine: String) -> String {
        let kind = page.folder
        let title = kind == "failed" ? "Failed" : "Quarantine"
        var html = "<section id=\"\(kind)\"><h1>\(title) <span class=\"count\">\(page.total)</span></h1>"
        if full {
            html += """
                <form class="search" method="get" action="/\(kind)"><input type="search" name="q" value="\(e(query.text))" \
                placeholder="part of a name"><button>Search</button></form>
                """
        }
        if page.items.isEmpty {
            html += "<p class=\"empty\">\(query.text.isEmpty ? "Nothing here." : "No file matches.")</p>"
        }
        html += "<ul class=\"shelf\">"
        for item in page.items {
            var actions = [("retry", "retry", "")]
            if kind == "quarantine" {
                for other in AlternateEngines.choices where other != engine {
                    actions.append(("retry", "retry with \(other)", "?engine=\(other)"))
                }
                actions.append(("release", "release", ""))
            }
            actions.append(("delete", "delete", ""))
            let buttons = actions.map { action, label, query in
                "<form method=\"post\" action=\"/act/\(kind)/\(item.id)/\(action)\(query)\"><button class=\"\(action)\">\(label)</button></form>"
            }.joined()
            let details = (item.details ?? [:]).sorted { $0.key < $1.key }.map { "<dt>\(e($0.key))</dt><dd>\(e($0.value))</dd>" }.joined()
            html += """
                <li class="item" data-id="\(item.id)"><a class="thumb" href="\(item.file)"><img loading="lazy" alt="" src="/api/\(kind)/\(item.id)/thumb"></a>\
                <div class="what"><p class="name">\(e(item.name))</p><p class="reason">\(e(item.reason ?? "no reason was filed"))</p>\
                <p class="meta">\(e([item.code, "\(item.size) bytes", item.engine, item.filedAt ?? item.modified].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · ")))</p>\
                \(details.isEmpty ? "" : "<details><summary>details</summary><dl>\(details)</dl></details>")</div>\
                <div class="actions">\(buttons)</div></li>
                """
        }
        html += "</ul>"
        if full {
            let q = query.pagingParameters
            var links: [String] = []
            if page.offset > 0 { links.append("<a href=\"/\(kind)?offset=\(max(0, page.offset - page.limit))\(q)\">newer</a>") }
            if page.offset + page.items.count < page.total { links.append("<a href=\"/\(kind)?offset=\(page.offset + page.limit)\(q)\">older</a>") }
            let shown = page.items.isEmpty ? "0" : "\(page.offset + 1)–\(page.offset + page.items.count)"
            html += "<p class=\"paging\">\(shown) of \(page.total) \(links.joined(separator: " "))</p>"
        } else if page.total > page.items.count {
            html += "<p class=\"paging\"><a href=\"/\(kind)\">all \(page.total)</a></p>"
        }
        return html + "</section>"
    }

    static func notice(_ text: String) -> String { "<p class=\"notice\" role=\"status\">\(e(text))</p>" }

    /// The login link's page: a form, so no link preview or prefetch can spend the code (a GET
    /// never changes anything); `app.js` submits it at once.
    static func login(code: String) -> String {
        document(title: "Upscaled: log in", body: """
            <section><h1>Log in</h1><form id="login" method="post" action="/login">\
            <input type="hidden" name="code" value="\(e(code))"><button>Log in to this daemon's page</button></form></section>
            """)
    }

    static func loginRefused() -> String {
        document(title: "Upscaled: log in", body: """
            <section><h1>This login link cannot be used</h1><p>It was used already, or is older than ten minutes. \
            Run <code>upscaled web</code> for a new one.</p></section>
            """)
    }
}
