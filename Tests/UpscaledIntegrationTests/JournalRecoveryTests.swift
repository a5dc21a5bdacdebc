import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// A crash leaves the journal in one of its states; the next start must finish or roll back
/// each job so that every file ends up in exactly one place. Each test builds the exact on-disk
/// state a crash at that step leaves, then starts the real daemon on it.
@Suite struct JournalRecoveryTests {
    func record(_ id: String, state: JournalRecord.State, relative: String, claimName: String,
                destination: String? = nil, inode: UInt64? = nil) -> JournalRecord {
        JournalRecord(id: id, state: state, relativePathBase64: Data(relative.utf8).base64EncodedString(),
                      relativePath: relative, claimName: claimName,
                      destinationBase64: destination.map { Data($0.utf8).base64EncodedString() },
                      outputInode: inode, createdAt: "2026-01-01T00:00:00Z")
    }

    func write(_ record: JournalRecord, in h: DaemonHarness) throws {
        try FileManager.default.createDirectory(atPath: h.journal.string, withIntermediateDirectories: true)
        try writeFile(h.journal.appending("\(record.id).json"), Array(try JSONEncoder().encode(record)))
    }

    func prepare(_ h: DaemonHarness) throws {
        for folder in [h.claims, h.journal, h.outbox, h.archive, h.failed] {
            try FileManager.default.createDirectory(atPath: folder.string, withIntermediateDirectories: true)
        }
    }

    @Test func aCrashAfterClaimingPutsTheFileBackAndProcessesItOnce() async throws {
        let h = try DaemonHarness()
        try prepare(h)
        try ImageFactory.write(h.claims.appending("job1.jpg"))
        try write(record("job1", state: .claimed, relative: "trip/a.jpg", claimName: "job1.jpg"), in: h)
        try await h.start()
        #expect(await eventually { exists(h.archive.appending("trip/a.jpg")) })
        #expect(await h.stop() == 0)
        #expect(h.everything == ["archive/trip/a.jpg", "outbox/trip/a.png"])
        #expect(listFiles(h.claims, includeHidden: true).isEmpty && listFiles(h.journal, includeHidden: true).isEmpty)
    }

    @Test func aCrashAfterTheResultWasLinkedFinishesWithoutASecondResult() async throws {
        let h = try DaemonHarness()
        try prepare(h)
        try ImageFactory.write(h.claims.appending("job2.jpg"))
        try ImageFactory.write(h.outbox.appending("b.png"), width: 128, height: 96)
        var st = stat()
        #expect(lstat(h.outbox.appending("b.png").string, &st) == 0)
        try write(record("job2", state: .committingOutput, relative: "b.jpg", claimName: "job2.jpg",
                         destination: "outbox/b.png", inode: UInt64(st.st_ino)), in: h)
        try await h.start()
        #expect(await eventually { exists(h.archive.appending("b.jpg")) })
        #expect(await h.stop() == 0)
        #expect(h.everything == ["archive/b.jpg", "outbox/b.png"])
    }

    /// Issue 10, defect 3: with after_success = "delete" the replay archived the original anyway.
    @Test func aCrashAfterTheResultWasLinkedDeletesTheOriginalWhenAskedTo() async throws {
        let h = try DaemonHarness()
        try prepare(h)
        try ImageFactory.write(h.claims.appending("job5.jpg"))
        try ImageFactory.write(h.outbox.appending("d.png"), width: 128, height: 96)
        var st = stat()
        #expect(lstat(h.outbox.appending("d.png").string, &st) == 0)
        var crashed = record("job5", state: .committingOutput, relative: "d.jpg", claimName: "job5.jpg",
                             destination: "outbox/d.png", inode: UInt64(st.st_ino))
        crashed.afterSuccess = .delete
        try write(crashed, in: h)
        let daemon = try await h.start(["--after-success", "delete"])
        #expect(await eventually { !exists(h.claims.appending("job5.jpg")) && daemon.log.contains("ready: ") })
        let code = await h.stop()
        #expect(code == 0, "exit \(String(describing: code)): \(daemon.log)")
        #expect(h.everything == ["outbox/d.png"])
        #expect(listFiles(h.journal, includeHidden: true).isEmpty)
    }

    @Test func aCrashBeforeTheResultWasLinkedRedoesTheJob() async throws {
        let h = try DaemonHarness()
        try prepare(h)
        try ImageFactory.write(h.claims.appending("job3.png"))
        // The destination exists but is someone else's file (another inode): not our result.
        try writeFile(h.outbox.appending("c.png"), Array("not ours".utf8))
        try write(record("job3", state: .committingOutput, relative: "c.png", claimName: "job3.png",
                         destination: "outbox/c.png", inode: 1), in: h)
        try await h.start()
        #expect(await eventually { exists(h.archive.appending("c.png")) })
        #expect(await h.stop() == 0)
        #expect(h.everything == ["archive/c.png", "outbox/c (1).png", "outbox/c.png"])
        #expect(try readFile(h.outbox.appending("c.png")) == Array("not ours".utf8))
    }

    @Test func aCrashWhileFilingAFailureCompletesTheMoveOnlyWithItsReason() async throws {
        let h = try DaemonHarness()
        try prepare(h)
        // Sidecar written, file not yet moved: the move is completed.
        try writeFile(h.claims.appending("job4.png"), Array("text".utf8))
        try writeFile(h.failed.appending("d.png.json"), Array("{\"code\":\"not-an-image\"}".utf8))
        try write(record("job4", state: .filingFailure, relative: "d.png", claimName: "job4.png", destination: "failed/d.png"), in: h)
        // Record written, sidecar not yet: the file is judged again (and fails again, with a reason).
        try writeFile(h.claims.appending("job5.png"), Array("text".utf8))
        try write(record("job5", state: .filingFailure, relative: "e.png", claimName: "job5.png", destination: "failed/e.png"), in: h)
        try await h.start()
        #expect(await eventually { exists(h.failed.appending("e.png")) && exists(h.failed.appending("e.png.json")) })
        #expect(await h.stop() == 0)
        #expect(h.everything == ["failed/d.png", "failed/d.png.json", "failed/e.png", "failed/e.png.json"])
    }

    @Test func aClaimWithoutARecordIsReturnedNotHidden() async throws {
        let h = try DaemonHarness()
        try prepare(h)
        try ImageFactory.write(h.claims.appending("orphan.png"))
        try await h.start()
        #expect(await eventually { exists(h.outbox.appending("orphan.png")) })
        #expect(await h.stop() == 0)
        #expect(h.everything == ["archive/orphan.png", "outbox/orphan.png"])
    }
}
