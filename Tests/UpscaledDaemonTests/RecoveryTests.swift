import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledLinux
@testable import UpscaledDaemon
import UpscaledTestSupport

/// A crash leaves the journal in one of its states; the next start must finish or roll back
/// each job so that every file ends up in exactly one place. Each test leaves on disk the exact
/// state a crash at that step leaves, replays the journal as a start does, and runs the
/// pipeline on what it put back. (Real crashes of the real binary: `CrashSafetyTests`.)
@Suite struct RecoveryTests {
    func record(_ id: String, state: JournalRecord.State, relative: String, claimName: String,
                destination: String? = nil, inode: UInt64? = nil, afterSuccess: DaemonConfig.AfterSuccess? = nil) -> JournalRecord {
        var record = JournalRecord(id: id, state: state, relativePathBase64: Data(relative.utf8).base64EncodedString(),
                                   relativePath: relative, claimName: claimName,
                                   destinationBase64: destination.map { Data($0.utf8).base64EncodedString() },
                                   outputInode: inode, createdAt: "2026-01-01T00:00:00Z")
        record.afterSuccess = afterSuccess
        return record
    }

    func write(_ record: JournalRecord, in layout: FolderLayout) throws {
        try writeFile(layout.journal.appending("\(record.id).json"), Array(try JSONEncoder().encode(record)))
    }

    func inode(_ path: FilePath) -> UInt64 {
        var st = stat()
        return lstat(path.string, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// After a replay and the jobs it put back: no claim and no record is left behind.
    func expectClean(_ rig: PipelineRig) {
        #expect(listFiles(rig.layout.claims, includeHidden: true).isEmpty)
        #expect(listFiles(rig.layout.journal, includeHidden: true).isEmpty)
    }

    @Test func aCrashAfterClaimingPutsTheFileBackUnderItsNameAndProcessesItOnce() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try ImageFactory.write(layout.claims.appending("job1.jpg"))
            try self.write(self.record("job1", state: .claimed, relative: "trip/a.jpg", claimName: "job1.jpg"), in: layout)
        })
        #expect(rig.recovery.putBack == 1 && rig.recovery.problems.isEmpty)
        #expect(rig.everything == ["inbox/trip/a.jpg"])
        await rig.pipeline.scan(reason: "start-up scan")
        #expect(await eventually(timeout: PipelineRig.patience) { exists(rig.layout.archive.appending("trip/a.jpg")) })
        await rig.stop()
        #expect(rig.everything == ["archive/trip/a.jpg", "outbox/trip/a.png"])
        expectClean(rig)
    }

    /// Without O_TMPFILE (NFS, SMB, FUSE) a result being written is a hidden file named with its
    /// job's id: a crash leaves it, and the replay of that job removes it, and only it.
    @Test func aCrashedJobsHiddenTempsAreRemovedAndNoOneElses() async throws {
        let mine = TempFile.hiddenPrefix(tag: "job9") + "x1"
        let probe = TempFile.hiddenPrefix(tag: "probe-local") + "x2"   // the rig runs as host "local"
        let others = TempFile.hiddenPrefix(tag: "job-of-another-host") + "x3"
        let rig = try await PipelineRig(crashed: { layout in
            try ImageFactory.write(layout.claims.appending("job9.jpg"))
            try self.write(self.record("job9", state: .claimed, relative: "trip/a.jpg", claimName: "job9.jpg"), in: layout)
            for folder in [layout.outbox.appending("trip"), layout.failed.appending("trip")] {
                try FileManager.default.createDirectory(atPath: folder.string, withIntermediateDirectories: true)
                try writeFile(folder.appending(mine), [1, 2, 3])
                try writeFile(folder.appending(others), [1, 2, 3])
            }
            try writeFile(layout.outbox.appending(probe), [1])
        })
        #expect(rig.recovery.putBack == 1 && rig.recovery.problems.isEmpty)
        #expect(listFiles(rig.layout.outbox.appending("trip"), includeHidden: true) == [others])
        #expect(listFiles(rig.layout.failed.appending("trip"), includeHidden: true) == [others])
        #expect(!exists(rig.layout.outbox.appending(probe)), "this host's interrupted write probe")
        await rig.stop()
    }

    /// Where a claim is link+unlink (NFS, FUSE), a crash between the two leaves the original in
    /// the inbox and our claim as a second name of it; or another host claimed the same file at
    /// that moment and won. The replay drops our name and makes no second job.
    @Test func aClaimThatIsASecondNameOfAFileNamedElsewhereIsDropped() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try FileManager.default.createDirectory(atPath: layout.inbox.appending("trip").string, withIntermediateDirectories: true)
            try ImageFactory.write(layout.inbox.appending("trip/a.jpg"))
            #expect(link(layout.inbox.appending("trip/a.jpg").string, layout.claims.appending("job7.jpg").string) == 0)
            try self.write(self.record("job7", state: .claimed, relative: "trip/a.jpg", claimName: "job7.jpg"), in: layout)
            let winner = layout.ofHost("winner").claims
            try FileManager.default.createDirectory(atPath: winner.string, withIntermediateDirectories: true)
            try ImageFactory.write(winner.appending("w1.jpg"))
            #expect(link(winner.appending("w1.jpg").string, layout.claims.appending("job8.jpg").string) == 0)
            try self.write(self.record("job8", state: .claimed, relative: "b.jpg", claimName: "job8.jpg"), in: layout)
        })
        #expect(rig.recovery.putBack == 0 && rig.recovery.discarded == 2 && rig.recovery.problems.isEmpty)
        #expect(listFiles(rig.layout.inbox) == ["trip/a.jpg"])
        #expect(listFiles(rig.layout.claims, includeHidden: true).isEmpty)
        #expect(listFiles(rig.layout.journal, includeHidden: true).isEmpty)
        #expect(exists(rig.layout.ofHost("winner").claims.appending("w1.jpg")), "the winner's claim is untouched")
        await rig.stop()
    }

    /// The result is out but the original cannot be archived (the place stopped answering; here
    /// `archive/` is a file): the original waits in the claims folder, never back in the inbox,
    /// and is archived at the first scan once the folder answers again, without a restart.
    @Test func anOriginalThatCouldNotBeArchivedIsArchivedWhenTheFolderIsBack() async throws {
        let rig = try await PipelineRig()
        try FileManager.default.removeItem(atPath: rig.layout.archive.string)
        try writeFile(rig.layout.archive, [0])                            // ENOTDIR for every archiving
        try await rig.drop("a.png")
        #expect(await eventually(timeout: PipelineRig.patience) { exists(rig.layout.outbox.appending("a.png")) })
        #expect(await eventually(timeout: PipelineRig.patience) { rig.runner.hasStranded })
        #expect(listFiles(rig.layout.claims).count == 1 && listFiles(rig.layout.inbox).isEmpty)
        try FileManager.default.removeItem(atPath: rig.layout.archive.string)
        try FileManager.default.createDirectory(atPath: rig.layout.archive.string, withIntermediateDirectories: true)
        await rig.pipeline.scan(reason: "poll")
        await rig.stop()
        #expect(rig.everything == ["archive/a.png", "outbox/a.png"])
        expectClean(rig)
    }

    @Test func aCrashAfterTheResultWasLinkedFinishesWithoutASecondResult() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try ImageFactory.write(layout.claims.appending("job2.jpg"))
            try ImageFactory.write(layout.outbox.appending("b.png"), width: 128, height: 96)
            try self.write(self.record("job2", state: .committingOutput, relative: "b.jpg", claimName: "job2.jpg",
                                       destination: "outbox/b.png", inode: self.inode(layout.outbox.appending("b.png"))), in: layout)
        })
        #expect(rig.recovery.finished == 1)
        await rig.stop()
        #expect(rig.everything == ["archive/b.jpg", "outbox/b.png"])
        expectClean(rig)
    }

    /// Issue 10, defect 3: with after_success = "delete" the replay archived the original anyway.
    @Test func aCrashAfterTheResultWasLinkedDeletesTheOriginalWhenAskedTo() async throws {
        let rig = try await PipelineRig(configure: { $0.afterSuccess = .delete }, crashed: { layout in
            try ImageFactory.write(layout.claims.appending("job5.jpg"))
            try ImageFactory.write(layout.outbox.appending("d.png"), width: 128, height: 96)
            try self.write(self.record("job5", state: .committingOutput, relative: "d.jpg", claimName: "job5.jpg",
                                       destination: "outbox/d.png", inode: self.inode(layout.outbox.appending("d.png")),
                                       afterSuccess: .delete), in: layout)
        })
        await rig.stop()
        #expect(rig.everything == ["outbox/d.png"])
        expectClean(rig)
    }

    @Test func aCrashBeforeTheResultWasLinkedRedoesTheJobAndKeepsSomeoneElsesFile() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try ImageFactory.write(layout.claims.appending("job3.png"))
            // The destination exists but is someone else's file (another inode): not our result.
            try writeFile(layout.outbox.appending("c.png"), Array("not ours".utf8))
            try self.write(self.record("job3", state: .committingOutput, relative: "c.png", claimName: "job3.png",
                                       destination: "outbox/c.png", inode: 1), in: layout)
        })
        #expect(rig.everything == ["inbox/c.png", "outbox/c.png"])
        await rig.pipeline.scan(reason: "start-up scan")
        #expect(await eventually(timeout: PipelineRig.patience) { exists(rig.layout.archive.appending("c.png")) })
        await rig.stop()
        #expect(rig.everything == ["archive/c.png", "outbox/c (1).png", "outbox/c.png"])
        #expect(try readFile(rig.layout.outbox.appending("c.png")) == Array("not ours".utf8))
        expectClean(rig)
    }

    @Test func aCrashWhileFilingAFailureCompletesTheMoveOnlyWithItsReason() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            // Sidecar written, file not yet moved: the move is completed.
            try writeFile(layout.claims.appending("job4.png"), Array("text".utf8))
            try writeFile(layout.failed.appending("d.png.json"), Array("{\"code\":\"not-an-image\"})))))".utf8))
            try self.write(self.record("job4", state: .filingFailure, relative: "d.png", claimName: "job4.png",
                                       destination: "failed/d.png"), in: layout)
            // Record written, sidecar not yet: the file is judged again (and fails again, with a reason).
            try writeFile(layout.claims.appending("job5.png"), Array("text".utf8))
            try self.write(self.record("job5", state: .filingFailure, relative: "e.png", claimName: "job5.png",
                                       destination: "failed/e.png"), in: layout)
        })
        await rig.pipeline.scan(reason: "start-up scan")
        #expect(await eventually(timeout: PipelineRig.patience) { exists(rig.layout.failed.appending("e.png.json")) })
        await rig.stop()
        #expect(rig.everything == ["failed/d.png", "failed/d.png.json", "failed/e.png", "failed/e.png.json"])
        expectClean(rig)
    }

    @Test func aClaimWithoutARecordIsReturnedNotHidden() async throws {
        let rig = try await PipelineRig(crashed: { layout in try ImageFactory.write(layout.claims.appending("orphan.png")) })
        #expect(rig.recovery.putBack == 1 && rig.recovery.problems.count == 1)
        await rig.pipeline.scan(reason: "start-up scan")
        #expect(await eventually(timeout: PipelineRig.patience) { exists(rig.layout.outbox.appending("orphan.png")) })
        await rig.stop()
        #expect(rig.everything == ["archive/orphan.png", "outbox/orphan.png"])
    }

    @Test func anUnreadableRecordIsLeftInPlaceAndReported() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try writeFile(layout.journal.appending("broken.json"), Array("{ not json".utf8))
        })
        await rig.stop()
        #expect(rig.recovery.problems.contains { $0.contains("broken.json") })
        #expect(exists(rig.layout.journal.appending("broken.json")))
    }
}
