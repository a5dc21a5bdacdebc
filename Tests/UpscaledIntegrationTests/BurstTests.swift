import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// Thousands of files at once, with the kernel's event queue forced small so it overflows:
/// the overflow is counted, the inbox is rescanned, and every file is processed exactly once.
/// Serialized: it changes a kernel setting for a moment (only as root; CI runs as root).
@Suite(.serialized) struct BurstTests {
    static let queueSetting = "/proc/sys/fs/inotify/max_queued_events"

    @Test func thousandsMovedInAtOnceAreAllProcessed() async throws {
        let h = try DaemonHarness()
        let count = 2000
        let staging = h.root.appending(".test-staging")
        try FileManager.default.createDirectory(atPath: staging.string, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: h.inbox.string, withIntermediateDirectories: true)
        let sample = staging.appending("sample.png")
        try ImageFactory.write(sample, width: 16, height: 12)
        let bytes = try readFile(sample)
        try FileManager.default.removeItem(atPath: sample.string)
        for i in 0..<count { try writeFile(staging.appending(String(format: "b%05d.png", i)), bytes) }

        // A queue of 64 events: 2000 renames overflow it many times over.
        let forced = getuid() == 0
        var previous: String?
        if forced {
            previous = try String(contentsOfFile: Self.queueSetting, encoding: .utf8)
            try "64\n".write(toFile: Self.queueSetting, atomically: false, encoding: .utf8)
        }
        do {
            try await h.start(["--workers", "2"])
        } catch {
            if let previous { try? previous.write(toFile: Self.queueSetting, atomically: false, encoding: .utf8) }
            throw error
        }
        if let previous { try previous.write(toFile: Self.queueSetting, atomically: false, encoding: .utf8) }

        let started = ContinuousClock.now
        for i in 0..<count {
            let name = String(format: "b%05d.png", i)
            #expect(rename(staging.appending(name).string, h.inbox.appending(name).string) == 0)
        }
        let drained = await eventually(timeout: .seconds(300)) { listFiles(h.archive).count == count }
        let elapsed = ContinuousClock.now - started
        #expect(drained, "archived \(listFiles(h.archive).count) of \(count); log tail: \(h.daemon!.log.suffix(3000))")
        #expect(listFiles(h.outbox).count == count)
        #expect(listFiles(h.inbox).count == 0, "\(listFiles(h.inbox).count) files left in the inbox")
        #expect(listFiles(h.failed).isEmpty)
        let status = try JSONDecoder().decode(StatusSnapshot.self,
                                              from: Data(readFile(h.statusFile)))
        if forced { #expect(status.overflows > 0, "the forced small queue never overflowed") }
        print("burst: \(count) files drained in \(elapsed), \(status.overflows) overflow rescans")
        #expect(await h.stop() == 0)
    }
}
