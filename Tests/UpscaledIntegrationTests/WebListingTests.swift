import Foundation
import Testing
import UpscaledTestSupport

/// The page's listings as a person pages through them: a search matches any case and is shown
/// back as typed, and the next/previous links keep both the search and the page size.
@Suite struct WebListingTests {
    @Test func pagingKeepsTheSearchAsTypedAndThePageSize() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        for i in 0..<7 {
            try h.drop("Scan-\(i).png") { try writeFile($0, Array("not an image \(i)".utf8)) }
        }
        try h.drop("other.png") { try writeFile($0, Array("not an image either".utf8)) }
        #expect(await eventually { listFiles(h.failed).filter { !$0.hasSuffix(".json") }.count == 8 })

        let first = try await page.probe.get("/failed?limit=3&q=SCAN", token: page.token)
        #expect(first.status == 200)
        #expect(first.text.contains("value=\"SCAN\""), "the search box shows the query as typed")
        #expect(first.text.contains("1–3 of 7"), "a search matches any case: \(first.text.prefix(2000))")
        #expect(first.text.contains("href=\"/failed?offset=3&amp;limit=3&amp;q=SCAN\">older</a>"))

        let second = try await page.probe.get("/failed?offset=3&limit=3&q=SCAN", token: page.token)
        #expect(second.text.contains("4–6 of 7"))
        #expect(second.text.contains("href=\"/failed?offset=0&amp;limit=3&amp;q=SCAN\">newer</a>"))
        #expect(second.text.contains("href=\"/failed?offset=6&amp;limit=3&amp;q=SCAN\">older</a>"))

        let api = try await page.probe.get("/api/failed?limit=3&q=scan", token: page.token)
        #expect((api.json as? [String: Any])?["total"] as? Int == 7)
        #expect(await h.stop() == 0)
    }
}
