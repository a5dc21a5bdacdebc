import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// What a local user can put in failed/ for the page to list: a FIFO where a sidecar belongs
/// (opening it for reading would wait for a writer forever), a FIFO where a file belongs, and a
/// name that is not UTF-8 (a Latin-1 name from an old share). The page lists and serves what it
/// can, by the name's exact bytes, and never hangs: not its listing, not the daemon's stop.
@Suite struct WebHostileFilesTests {
    /// Writes `bytes` to `path` by its exact bytes (`writeFile` goes through a String).
    func writeRaw(_ path: FilePath, _ bytes: [UInt8]) throws {
        let fd = FileDescriptor(rawValue: path.withPlatformString { open($0, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644) })
        defer { try? fd.close() }
        #expect(fd.rawValue >= 0, "cannot make \(path.display)")
        _ = try fd.writeAll(bytes)
    }

    @Test func aFifoOrANameThatIsNotUTF8NeitherHangsNorHidesAnything() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        let photo = try Array(Data(contentsOf: URL(fileURLWithPath: try RealImages.path("coins.png").string)))
        try FileManager.default.createDirectory(atPath: h.failed.string, withIntermediateDirectories: true)
        try writeRaw(h.failed.appending("fifo.png"), photo)
        #expect(mkfifo(h.failed.appending("fifo.png.json").string, 0o644) == 0)
        #expect(mkfifo(h.failed.appending("pipe.png").string, 0o644) == 0)
        let latin1 = try #require(FilePath.Component(bytes: Array("caf".utf8) + [0xE9] + Array(".png".utf8)))
        try writeRaw(h.failed.appending(latin1), photo)
        let sidecar = #"{"code":"too-large","reason":"over the limit","file":"x","fileBytesBase64":"","engine":"local","filedAt":"2026-12-07T00:00:00Z","details":{}}"#
        try writeRaw(h.failed.appending(OutputNaming.sidecar(for: latin1)), Array(sidecar.utf8))

        let listing = try await page.probe.get("/api/failed", token: page.token)
        #expect(listing.status == 200)
        let items = (listing.json as? [String: Any])?["items"] as? [[String: Any]] ?? []
        let byName = Dictionary(uniqueKeysWithValues: items.compactMap { item in
            (item["name"] as? String).flatMap { name in (item["id"] as? String).map { (name, ($0, item)) } }
        })
        #expect(Set(byName.keys) == ["fifo.png", "caf\u{FFFD}.png"], "a FIFO is no file to list; \(listing.text)")
        #expect(byName["fifo.png"]?.1["reason"] == nil, "a FIFO is no sidecar to read")
        #expect(byName["caf\u{FFFD}.png"]?.1["reason"] as? String == "over the limit")

        let (latinID, _) = try #require(byName["caf\u{FFFD}.png"])
        let served = try await page.probe.get("/api/failed/\(latinID)/file", token: page.token)
        #expect(served.status == 200)
        #expect(served.body == photo)
        #expect(try await page.probe.get("/api/failed/\(latinID)/thumb", token: page.token).status == 200)
        #expect(try await page.probe.get("/", token: page.token).status == 200)

        // Retried: back into the inbox under its own bytes, done, its original archived as it was.
        #expect(try await page.probe.post("/api/failed/\(latinID)/retry", token: page.token).status == 200)
        #expect(await eventually { exists(h.root.appending("archive").appending(latin1)) })
        #expect(!exists(h.failed.appending(latin1)))
        #expect(await h.stop() == 0, "the daemon stops: no thread of its page is stuck on a FIFO")
    }
}
