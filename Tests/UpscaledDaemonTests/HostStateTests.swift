import Foundation
import SystemPackage
import Testing
import UpscaledCore
@testable import UpscaledDaemon
import UpscaledTestSupport

/// Each host replays only its own journal; what an earlier version left in the shared journal
/// is adopted once, by rename, and never what another host's journal names.
@Suite struct HostStateTests {
    func record(_ id: String, relative: String, claimName: String, host: String? = nil) -> JournalRecord {
        var record = JournalRecord(id: id, state: .claimed, relativePathBase64: Data(relative.utf8).base64EncodedString(),
                                   relativePath: relative, claimName: claimName, createdAt: "2026-01-01T00:00:00Z")
        record.host = host
        return record
    }

    func write(_ record: JournalRecord, in journal: FilePath) throws {
        try FileManager.default.createDirectory(atPath: journal.string, withIntermediateDirectories: true)
        try writeFile(journal.appending("\(record.id).json"), Array(try JSONEncoder().encode(record)))
    }

    @Test func anEarlierVersionsSharedJournalIsAdoptedAndEveryFileKeepsItsName() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try FileManager.default.createDirectory(atPath: layout.legacyClaims.string, withIntermediateDirectories: true)
            // A claimed job of the old layout, its file still in the old claims folder.
            try ImageFactory.write(layout.legacyClaims.appending("old1.png"))
            try self.write(self.record("old1", relative: "trip/a.png", claimName: "old1.png"), in: layout.legacyJournal)
            // A record adopted before a crash, its file not moved yet.
            try ImageFactory.write(layout.legacyClaims.appending("old2.png"))
            try self.write(self.record("old2", relative: "b.png", claimName: "old2.png", host: layout.hostID), in: layout.journal)
        })
        #expect(rig.recovery.adopted == 1 && rig.recovery.putBack == 2, "\(rig.recovery)")
        #expect(rig.everything == ["inbox/b.png", "inbox/trip/a.png"])
        #expect(listFiles(rig.layout.legacyJournal, includeHidden: true).isEmpty)
        #expect(listFiles(rig.layout.legacyClaims, includeHidden: true).isEmpty)
        await rig.pipeline.scan(reason: "start-up scan")
        #expect(await eventually(timeout: PipelineRig.patience) { rig.everything.filter { $0.hasPrefix("outbox/") }.count == 2 })
        await rig.stop()
        #expect(rig.everything == ["archive/b.png", "archive/trip/a.png", "outbox/b.png", "outbox/trip/a.png"])
    }

    /// Another host adopted the record first: its claim, still in the old folder, is that
    /// host's to move, not a stray to return under its claim id.
    @Test func aClaimAnotherHostsJournalNamesIsLeftToThatHost() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try FileManager.default.createDirectory(atPath: layout.legacyClaims.string, withIntermediateDirectories: true)
            try ImageFactory.write(layout.legacyClaims.appending("theirs.png"))
            let other = layout.hosts.appending("other-host").appending("journal")
            try self.write(self.record("theirs", relative: "c.png", claimName: "theirs.png", host: "other-host"), in: other)
            // Truly stray (no record anywhere): returned to the inbox, as before.
            try ImageFactory.write(layout.legacyClaims.appending("stray.png"))
        })
        await rig.stop()
        #expect(exists(rig.layout.legacyClaims.appending("theirs.png")))
        #expect(rig.everything == ["inbox/stray.png"])
        #expect(rig.recovery.adopted == 1)
    }

    @Test func aRecordOfAnotherHostInOurJournalIsLeftInPlace() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try ImageFactory.write(layout.claims.appending("x.png"))
            try self.write(self.record("x", relative: "x.png", claimName: "x.png", host: "elsewhere"), in: layout.journal)
        })
        await rig.stop()
        #expect(rig.recovery.problems.contains { $0.contains("belongs to host elsewhere") })
        #expect(exists(rig.layout.journal.appending("x.json")))
    }

    @Test func theHostIDIsAFolderNameOnEveryFilesystem() {
        for good in ["3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b", "nas", "desk-1", "gpu_box.lan"] { #expect(DaemonConfig.isValidHostID(good)) }
        for bad in ["", ".", "..", ".hidden", "a/b", "with space", String(repeating: "x", count: 65), "émile"] {
            #expect(!DaemonConfig.isValidHostID(bad), "\(bad)")
        }
        #expect(ConfigLoader.machineHostID(file: "/nonexistent").isEmpty == false)
    }
}
