import Foundation
import UpscaledCore

extension PageHTML {
    /// The recent results: a grid of thumbnails, each opening its comparison. `app.js` adds a
    /// card at the front when the event stream reports a new job (built with DOM calls).
    static func recent(_ page: JobsPageJSON, full: Bool, query: ShelfQuery, outcome: String?) -> String {
        var html = "<section id=\"recent\"><h1>\(full ? "History" : "Recent results") <span class=\"count\">\(page.total)</span></h1>"
        if full {
            let options = ["", "done", "failed", "quarantined"].map { value in
                "<option value=\"\(value)\"\(value == (outcome ?? "") ? " selected" : "")>\(value.isEmpty ? "every outcome" : value)</option>"
            }.joined()
            html += """
                <form class="search" method="get" action="/jobs"><input type="search" name="q" value="\(e(query.text))" \
                placeholder="part of a name"><select name="outcome">\(options)</select><button>Search</button></form>
                """
        }
        html += "<ul class=\"grid\" id=\"results\">" + page.items.map(card).joined() + "</ul>"
        if page.items.isEmpty { html += "<p class=\"empty\">No job yet: drop an image into the inbox.</p>" }
        if full {
            let q = query.pagingParameters + (outcome.map { "&amp;outcome=\($0)" } ?? "")
            var links: [String] = []
            if page.offset > 0 { links.append("<a href=\"/jobs?offset=\(max(0, page.offset - page.limit))\(q)\">newer</a>") }
            if page.offset + page.items.count < page.total { links.append("<a href=\"/jobs?offset=\(page.offset + page.limit)\(q)\">older</a>") }
            html += "<p class=\"paging\">\(page.total) jobs \(links.joined(separator: " "))</p>"
        } else if page.total > page.items.count {
            html += "<p class=\"paging\"><a href=\"/jobs\">the whole history</a></p>"
        }
        return html + "</section>"
    }

    static func card(_ job: JobJSON) -> String {
        let picture = job.thumbURL.map { "<img loading=\"lazy\" alt=\"\" src=\"\($0)\">" } ?? "<span class=\"no-thumb\">\(e(job.outcome))</span>"
        let size = job.width.map { "\($0)×\(job.height ?? 0)" } ?? (job.code ?? "")
        return """
            <li class="card outcome-\(e(job.outcome))"><a href="/jobs/\(e(job.id))">\(picture)<span class="caption">\(e(job.file))</span>\
            <span class="meta">\(e(job.outcome)) · \(e(size)) · \(String(format: "%.1f", job.seconds)) s</span></a></li>
            """
    }

    /// One job: the before/after slider (the original, enlarged by the browser, under the
    /// result; the handle uncovers one or the other), fitted to the window or at the result's
    /// actual pixels (one image pixel per screen pixel, scrolled), then its facts.
    static func job(_ job: JobJSON) -> String {
        var facts: [(String, String)] = [("file", job.file), ("outcome", job.outcome)]
        if let w = job.inputWidth, let h = job.inputHeight { facts.append(("original size", "\(w) × \(h)")) }
        if let w = job.width, let h = job.height { facts.append(("result size", "\(w) × \(h)")) }
        facts += [("engine", job.engine), ("setting", job.target), ("took", String(format: "%.2f s", job.seconds)),
                  ("finished", job.finishedAt), ("host", job.host)]
        if let output = job.output { facts.append(("result", output)) }
        if let original = job.original { facts.append(("original", original)) }
        if let reason = job.reason { facts.append(("reason", reason)) }
        var html = "<section id=\"job\"><h1>\(e(job.file))</h1>"
        if let result = job.resultURL {
            let width = job.width ?? 800
            let height = job.height ?? 600
            if let original = job.originalURL {
                html += """
                    <div class="compare-frame" id="compare-frame">\
                    <div class="compare" id="compare" tabindex="0" data-width="\(width)" data-height="\(height)">\
                    <img class="before" alt="before: the original" src="\(original)" width="\(width)" height="\(height)">\
                    <img class="after" alt="after: the result" src="\(result)" width="\(width)" height="\(height)">\
                    <span class="handle" aria-hidden="true"></span><span class="tag tag-before">before</span><span class="tag tag-after">after</span></div></div>\
                    <div class="slider"><label>before <input id="slider" type="range" min="0" max="100" value="50" \
                    aria-label="where the comparison divides"> after</label>\
                    <button type="button" id="zoom" class="zoom" aria-pressed="false">actual pixels</button></div>
                    """
            } else {
                html += "<p>The original was deleted (after_success = \"delete\"): the result alone.</p><img class=\"result\" alt=\"the result\" src=\"\(result)\">"
            }
        }
        html += "<dl class=\"facts\">" + facts.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined() + "</dl>"
        var links: [String] = []
        if let result = job.resultURL { links.append("<a href=\"\(result)\">the result at full size</a>") }
        if let original = job.originalURL { links.append("<a href=\"\(original)\">the original</a>") }
        return html + "<p>\(links.joined(separator: " · "))</p></section>"
    }
}
