import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The built daemon, run as a subprocess on real folders: every path a file can take.
@Suite struct LifeOfAFileTests {
    @Test func aFileMovedInIsUpscaledAndItsOriginalArchived() async throws {
        let h = try DaemonHarness()
        try await h.start()
        try h.drop("holiday.jpg") { try ImageFactory.write($0, width: 64, height: 48) }
        #expect(await eventually { exists(h.outbox.appending("holiday.png")) && exists(h.archive.appending("holiday.jpg")) })
        let info = try ImageFactory.info(h.outbox.appending("holiday.png"))
        #expect(info.width == 128 && info.height == 96)
        #expect(await h.stop() == 0)
        #expect(h.everything == ["archive/holiday.jpg", "outbox/holiday.png"])
        #expect(listFiles(h.claims).isEmpty && listFiles(h.journal).isEmpty)
    }

    @Test func aFileWrittenSlowlyInPlaceIsTakenOnlyWhenComplete() async throws {
        let h = try DaemonHarness()
        // A window well above the writer's pause even on a loaded machine.
        try await h.start(["--quiet-window-ms", "3000"])
        let staging = h.home.path.appending("whole.png")
        try ImageFactory.write(staging, width: 120, height: 90)
        let bytes = try readFile(staging)
        // Written in two sessions, closing in between, like an SMB client: the first close
        // must not make the daemon take half a file.
        let target = h.inbox.appending("slow.png")
        try writeInPlace(target, bytes.prefix(bytes.count / 2))
        // The writer's own pause (part of the scenario), without leaving this thread: an await here
        // could resume seconds later in a loaded CI run, past the quiet window.
        usleep(100_000)
        try writeInPlace(target, bytes.dropFirst(bytes.count / 2), appending: true)
        // The original is archived only after the result is durable: wait for both.
        #expect(await eventually { exists(h.outbox.appending("slow.png")) && exists(h.archive.appending("slow.png")) })
        #expect(try ImageFactory.info(h.outbox.appending("slow.png")).width == 240)
        #expect(listFiles(h.failed).isEmpty)
        #expect(try readFile(h.archive.appending("slow.png")) == bytes)
        #expect(await h.stop() == 0)
    }

    @Test func filesDroppedWhileItWasDownAreCaughtUpAtStart() async throws {
        let h = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: h.inbox.appending("old/deeper").string, withIntermediateDirectories: true)
        for i in 0..<5 { try ImageFactory.write(h.inbox.appending("early-\(i).png")) }
        try ImageFactory.write(h.inbox.appending("old/deeper/nested.jpg"))
        try await h.start()
        #expect(await eventually { listFiles(h.outbox).count == 6 })
        #expect(listFiles(h.outbox).contains("old/deeper/nested.png"))
        #expect(await h.stop() == 0)
        #expect(listFiles(h.inbox).isEmpty)
        #expect(listFiles(h.archive).count == 6)
    }

    @Test func subfoldersAreMirrored() async throws {
        let h = try DaemonHarness()
        try await h.start()
        try FileManager.default.createDirectory(atPath: h.inbox.appending("trip/day1").string, withIntermediateDirectories: true)
        try h.drop("trip/day1/beach.jpg") { try ImageFactory.write($0) }
        try h.drop("trip/map.png") { try ImageFactory.write($0) }
        // A whole folder moved in at once, with files already inside.
        let tree = h.home.path.appending("album")
        try FileManager.default.createDirectory(atPath: tree.appending("inner").string, withIntermediateDirectories: true)
        try ImageFactory.write(tree.appending("inner/a.png"))
        try ImageFactory.write(tree.appending("b.webp"))
        #expect(rename(tree.string, h.inbox.appending("album").string) == 0)
        #expect(await eventually { listFiles(h.outbox).count == 4 && listFiles(h.archive).count == 4 })
        #expect(listFiles(h.outbox) == ["album/b.png", "album/inner/a.png", "trip/day1/beach.png", "trip/map.png"])
        #expect(listFiles(h.archive) == ["album/b.webp", "album/inner/a.png", "trip/day1/beach.jpg", "trip/map.png"])
        #expect(await h.stop() == 0)
    }

    @Test func temporaryAndLitterNamesAreLeftAlone() async throws {
        let h = try DaemonHarness()
        try await h.start()
        let names = ["photo.jpg.part", "video.crdownload", ".hidden.png", ".photo.jpg.Xa81bc", "~$lock.png",
                     "Thumbs.db", "desktop.ini", "._photo.jpg", ".DS_Store", "x.tmp", "y.filepart", "z.download"]
        for name in names { try ImageFactory.write(h.home.path.appending("img.png")); try FileManager.default.moveItem(atPath: h.home.path.appending("img.png").string, toPath: h.inbox.appending(name).string) }
        try FileManager.default.createDirectory(atPath: h.inbox.appending("@eaDir").string, withIntermediateDirectories: true)
        try ImageFactory.write(h.inbox.appending("@eaDir/thumb.png"))
        try h.drop("real.png") { try ImageFactory.write($0) }     // a control: this one is processed
        #expect(await eventually { exists(h.outbox.appending("real.png")) })
        #expect(await h.stop() == 0)
        #expect(listFiles(h.failed).isEmpty)
        #expect(Set(listFiles(h.inbox, includeHidden: true).filter { !$0.hasPrefix(".upscaled") })
            == Set(names + ["@eaDir/thumb.png"]))
    }

    @Test func badInputGoesToFailedWithASidecar() async throws {
        let h = try DaemonHarness()
        try await h.start()
        try h.drop("notes.png") { try writeFile($0, Array("just some text, not a picture\n".utf8)) }
        try h.drop("empty.jpg") { try writeFile($0, []) }
        try h.drop("cut.png") { path in
            try ImageFactory.write(path, width: 300, height: 300)
            let bytes = try readFile(path)
            try writeFile(path, Array(bytes.prefix(bytes.count / 3)))
        }
        try h.drop("doc.pdf") { try writeFile($0, Array("%PDF-1.4\n%âãÏÓ\n".utf8)) }
        #expect(await eventually { listFiles(h.failed).count == 8 })
        let expected = ["notes.png": "not-an-image", "empty.jpg": "empty", "cut.png": "undecodable", "doc.pdf": "not-an-image"]
        for (name, code) in expected {
            let sidecar = try JSONDecoder().decode(FailureSidecar.self, from: Data(readFile(h.failed.appending("\(name).json"))))
            #expect(sidecar.code.rawValue == code, "\(name)")
            #expect(sidecar.reason.contains(name))
            #expect(sidecar.file == name)
        }
        #expect(listFiles(h.outbox).isEmpty)
        // The daemon is still up and still working.
        try h.drop("fine.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("fine.png")) })
        #expect(await h.stop() == 0)
    }

    @Test func nameClashesGetNumberedNamesAndNothingIsOverwritten() async throws {
        let h = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: h.outbox.string, withIntermediateDirectories: true)
        try writeFile(h.outbox.appending("photo.png"), Array("the user's own file".utf8))
        try await h.start()
        try h.drop("photo.jpg") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("photo (1).png")) })
        try h.drop("photo.webp") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("photo (2).png")) })
        try h.drop("photo.jpg") { try ImageFactory.write($0, width: 10, height: 10) }
        #expect(await eventually { exists(h.outbox.appending("photo (3).png")) })
        #expect(await h.stop() == 0)
        #expect(try readFile(h.outbox.appending("photo.png")) == Array("the user's own file".utf8))
        #expect(listFiles(h.archive) == ["photo (1).jpg", "photo.jpg", "photo.webp"])
    }

    @Test func oddNamesAreKeptByteForByte() async throws {
        let h = try DaemonHarness()
        try await h.start()
        let nfd = "Cafe\u{0301} 写真 🎉.jpg"
        try h.drop(nfd) { try ImageFactory.write($0) }
        #expect(await eventually { listFiles(h.archive).count == 1 })
        #expect(FileManager.default.fileExists(atPath: h.archive.appending(nfd).string))
        #expect(FileManager.default.fileExists(atPath: h.outbox.appending("Cafe\u{0301} 写真 🎉.png").string))
        #expect(await h.stop() == 0)
    }

    @Test func onceProcessesTheInboxAndExits() async throws {
        let home = TempDirectory()
        let root = home.path.appending("Upscale")
        try FileManager.default.createDirectory(atPath: root.appending("inbox").string, withIntermediateDirectories: true)
        for i in 0..<3 { try ImageFactory.write(root.appending("inbox/\(i).png")) }
        try writeFile(root.appending("inbox/bad.png"), [1, 2, 3])
        let (status, output) = try await runUpscaled(["run", "--once", "--root", root.string, "--scale", "3"], home: home.path)
        #expect(status == 0, "\(output)")
        #expect(listFiles(root.appending("outbox")) == ["0.png", "1.png", "2.png"])
        #expect(try ImageFactory.info(root.appending("outbox/0.png")).width == 192)
        #expect(listFiles(root.appending("failed")) == ["bad.png", "bad.png.json"])
        #expect(listFiles(root.appending("inbox")).isEmpty)
    }

    /// `--once` from cron, stopped half-way (a `timeout`, a Ctrl-C): the jobs in flight finish,
    /// the rest stays in the inbox, exit 0, and nothing is left claimed or half-written.
    @Test func onceStoppedBySigtermFinishesWhatItStartedAndKeepsTheRest() async throws {
        let h = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: h.inbox.string, withIntermediateDirectories: true)
        // Enough work (~12 s unloaded) that the stop lands mid-batch even when CI is slow to send it
        // (40 files were all done before the stop came, with the AI tests busy beside it).
        let count = 80
        for i in 0..<count { try ImageFactory.write(h.inbox.appending("cron-\(i).png"), width: 700, height: 500) }
        let daemon = try await h.start(["--once", "--workers", "2"], waitForReady: false)
        #expect(await eventually { !listFiles(h.outbox).isEmpty })
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0, "\(daemon.log.suffix(1500))")
        #expect(daemon.log.contains("SIGTERM: finishing the jobs in flight"))
        let inbox = Set(listFiles(h.inbox))
        let outbox = Set(listFiles(h.outbox))
        #expect(outbox == Set(listFiles(h.archive)))
        #expect(inbox.isDisjoint(with: outbox))
        #expect(inbox.count + outbox.count == count)
        #expect(!inbox.isEmpty, "the stop came too late to leave work behind; the scenario proved nothing")
        #expect(listFiles(h.claims, includeHidden: true).isEmpty && listFiles(h.journal, includeHidden: true).isEmpty)
        #expect(listFiles(h.failed).isEmpty)
        for name in outbox { #expect(try ImageFactory.info(h.outbox.appending(name)).width == 1400) }
    }
}
