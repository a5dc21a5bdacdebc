import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The promise under fire: the daemon is killed with SIGKILL at random moments, many times,
/// while files keep arriving; at the end every input is accounted for exactly once and no
/// temporary or partial file is visible anywhere a user looks.
@Suite struct CrashSafetyTests {
    @Test func killNineAtRandomMomentsLosesAndDuplicatesNothing() async throws {
        let h = try DaemonHarness()
        var generator = SeededGenerator(label: "kill -9 timings")
        let total = 240
        let kills = 14
        try FileManager.default.createDirectory(atPath: h.inbox.string, withIntermediateDirectories: true)
        // One good image and one bad file, copied under unique names.
        let good = h.home.path.appending("good.png")
        try ImageFactory.write(good, width: 96, height: 64)
        let goodBytes = try readFile(good)
        var names: [String] = []
        var dropped = 0
        func dropBatch(_ count: Int) throws {
            for _ in 0..<count where dropped < total {
                let bad = dropped % 10 == 7
                let name = String(format: "f%04d.%@", dropped, bad ? "jpg" : "png")
                try h.drop(name) { try writeFile($0, bad ? Array("not an image \(dropped)".utf8) : goodBytes) }
                names.append(name)
                dropped += 1
            }
        }
        try dropBatch(60)
        for round in 0..<kills {
            let daemon = try await h.start(["--workers", "2"], waitForReady: false)
            try dropBatch(Int.random(in: 5...25, using: &generator))
            try await Task.sleep(for: .milliseconds(Int.random(in: 80...700, using: &generator)))
            daemon.signal(SIGKILL)
            #expect(await daemon.waitForExit() != nil, "round \(round)")
        }
        try dropBatch(total)
        // A last, undisturbed run finishes everything.
        try await h.start(["--workers", "2"])
        let finished = await eventually(timeout: .seconds(120)) { listFiles(h.inbox).isEmpty && listFiles(h.claims).isEmpty }
        #expect(finished, "left in the inbox: \(listFiles(h.inbox))")
        #expect(await h.stop() == 0)

        let outbox = Set(listFiles(h.outbox, includeHidden: true))
        let archive = Set(listFiles(h.archive, includeHidden: true))
        let failed = Set(listFiles(h.failed, includeHidden: true))
        var tally = (done: 0, failed: 0)
        for name in names {
            let stem = String(name.dropLast(4))
            let isDone = outbox.contains("\(stem).png") && archive.contains(name)
            let isFailed = failed.contains(name) && failed.contains("\(name).json")
            #expect(isDone != isFailed, "\(name): done \(isDone), failed \(isFailed)")
            if isDone { tally.done += 1 } else if isFailed { tally.failed += 1 }
            if isDone { #expect(try ImageFactory.info(h.outbox.appending("\(stem).png")).width == 192, "\(name)") }
        }
        // Nothing else anywhere: no duplicates ("x (1).png"), no temp files, no partial results.
        #expect(outbox.count == tally.done, "outbox has extra files: \(outbox.subtracting(names.map { "\($0.dropLast(4)).png" }))")
        #expect(archive.count == tally.done)
        #expect(failed.count == 2 * tally.failed)
        #expect(listFiles(h.journal, includeHidden: true).isEmpty)
        #expect(listFiles(h.claims, includeHidden: true).isEmpty)
        #expect(listFiles(h.quarantine, includeHidden: true).isEmpty)
        print("crash test: \(names.count) inputs, \(kills) kill -9s: \(tally.done) done, \(tally.failed) failed, 0 lost, 0 duplicated")
        #expect(tally.done + tally.failed == total)
    }
}
