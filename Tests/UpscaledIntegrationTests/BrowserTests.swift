import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The page in a real browser (headless Chromium through chromedriver): a person logs in with
/// `upscaled web`'s link, watches a result appear without reloading, drags the before/after
/// slider, and retries a failed file from the page until it is done. Screenshots of each step
/// are kept in the test's folder; with `UPSCALED_SCREENSHOTS=<dir>` they are written there too
/// (that is how docs/page-*.png are made: see docs/WEB.md).
@Suite(.serialized) struct BrowserTests {
    @Test(.enabled(if: WebDriver.available || ProcessInfo.processInfo.environment["CI"] != nil,
                   "needs chromium and chromium-driver (packaging/install-deps --test)"))
    func aPersonWatchesAResultArriveComparesItAndRetriesAFailedFile() async throws {
        try #require(WebDriver.available, "chromium and chromium-driver are missing: run packaging/install-deps --test")
        let shots = ProcessInfo.processInfo.environment["UPSCALED_SCREENSHOTS"].map { FilePath($0) }
        let h = try DaemonHarness()
        let config = h.home.path.appending("upscaled.toml")
        // Refuses the first photo (640 × 427 = 273,280 pixels) but not the second (600 × 400),
        // then is lifted by a reload: the retry from the page must then succeed.
        let engine = shots == nil ? "local" : "ai"
        try writeFile(config, Array("engine = \"\(engine)\"\nmax_input_pixels = 250000\n".utf8))
        let page = try await h.startWithPage(["--config", config.string])
        try h.drop("rocket.jpg") { try FileManager.default.copyItem(atPath: try RealImages.path("rocket.jpg").string, toPath: $0.string) }
        #expect(await eventually { exists(h.failed.appending("rocket.jpg")) })

        let printed = try await runUpscaled(["web", "--root", h.root.string, "--config", config.string, "--host-id", DaemonHarness.hostID],
                                            home: h.home.path)
        let link = try #require(printed.output.split(separator: "\n").map(String.init).first { $0.contains("/login?code=") })
        let browser = try await WebDriver(logDirectory: h.home.path)
        try await browser.open(String(link[link.range(of: "http")!.lowerBound...]))
        // The login form submits itself and lands on the page, with the live stream open.
        _ = try await browser.wait(for: "#now")
        _ = try await browser.wait(for: "#live:not([hidden])")
        #expect(try await browser.currentURL() == page.address + "/")
        try await browser.run("window.notReloaded = true")

        // A result appears without a reload.
        try h.drop("coffee.png") { try FileManager.default.copyItem(atPath: try RealImages.path("coffee.png").string, toPath: $0.string) }
        let card = try await browser.wait(for: "#results .card", timeout: .seconds(120))
        #expect(try await browser.text(card).contains("coffee.png"))
        #expect(try await browser.run("return window.notReloaded === true") as? Bool == true)
        let done = try await browser.wait(for: "[data-k=done]")
        #expect(await eventuallyAsync { (try? await browser.text(done)) == "1" })
        try keep(await browser.screenshot(), "page-now.png", in: h, also: shots)

        // The comparison: a drag on the picture moves the divide.
        try await browser.click(try await browser.wait(for: "#results .card a"))
        let compare = try await browser.wait(for: "#compare")
        _ = await eventuallyAsync { (try? await browser.run("return document.querySelector('#compare .after').complete && document.querySelector('#compare .before').complete") as? Bool) == true }
        let width = try await browser.run("return document.getElementById('compare').getBoundingClientRect().width") as? Double ?? 0
        #expect(width > 100)
        try await browser.drag(compare, from: 0, to: Int(width * 0.3))
        let position = try await browser.run("return parseFloat(getComputedStyle(document.getElementById('compare')).getPropertyValue('--pos'))") as? Double ?? 0
        #expect(abs(position - 80) < 3, "the divide is at \(position)% after a drag to 80%")
        #expect(try await browser.run("return document.getElementById('slider').value") as? String == "\(Int(position.rounded()))")
        try keep(await browser.screenshot(), "page-compare.png", in: h, also: shots)

        // Actual pixels: one pixel of the result per pixel of the screen (scrolled), then fitted again.
        let boxWidth = "return document.getElementById('compare').getBoundingClientRect().width"
        try await browser.click(try await browser.wait(for: "#zoom"))
        let actual = try await browser.run(boxWidth) as? Double ?? 0
        let pixels = try await browser.run("return Number(document.getElementById('compare').dataset.width) / window.devicePixelRatio") as? Double ?? 0
        #expect(abs(actual - pixels) < 1 && actual > width, "at actual pixels the comparison is \(actual) px wide, not \(pixels)")
        try await browser.click(try await browser.wait(for: "#zoom"))
        #expect(abs((try await browser.run(boxWidth) as? Double ?? 0) - width) < 1, "fitted again")

        // The failed file: its reason shows; once the limit is raised, retry from the page.
        try await browser.open(page.address + "/failed")
        let reason = try await browser.wait(for: "#failed .item .reason")
        #expect(try await browser.text(reason).contains("rocket.jpg"))
        try keep(await browser.screenshot(), "page-failed.png", in: h, also: shots)
        try writeFile(config, Array("engine = \"\(engine)\"\n".utf8))
        let reloads = h.socket.received.filter { $0.contains("READY=1") }.count
        h.daemon?.signal(SIGHUP)
        #expect(await eventually { h.socket.received.filter { $0.contains("READY=1") }.count > reloads })
        try await browser.click(try await browser.wait(for: "#failed .item button.retry"))
        let notice = try await browser.wait(for: ".notice")
        #expect(try await browser.text(notice).contains("put back into the inbox"))
        #expect(await eventually(timeout: .seconds(120)) { exists(h.outbox.appending("rocket.png")) && exists(h.archive.appending("rocket.jpg")) })
        #expect(listFiles(h.failed).isEmpty)
        try await browser.open(page.address + "/")
        _ = await eventuallyAsync { ((try? await browser.run("return document.querySelectorAll('#results .card').length")) as? Int) == 2 }
        let newest = try await browser.wait(for: "#results .card")
        #expect(try await browser.text(newest).contains("rocket.jpg"))
        #expect(await h.stop() == 0)
    }

    /// Writes a screenshot beside the test's files, and to `also` when asked; checks it is a PNG.
    func keep(_ png: [UInt8], _ name: String, in h: DaemonHarness, also: FilePath?) throws {
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(name) is not a real screenshot")
        try writeFile(h.home.path.appending(name), png)
        if let also { try writeFile(also.appending(name), png) }
    }
}
