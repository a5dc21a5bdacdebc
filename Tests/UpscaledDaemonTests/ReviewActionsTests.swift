import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledLinux
@testable import UpscaledDaemon
import UpscaledTestSupport

/// The page's actions on failed/ and quarantine/, in process: what each does, what ids mean,
/// and what a crash in the middle of one leaves for the next start to finish. (Over HTTP,
/// with the real binary: `WebActionsTests`.)
@Suite struct ReviewActionsTests {
    /// A file filed in `folder` as the runner files one: its sidecar first, then the file.
    static func file(_ relative: String, in folder: FilePath, reason: String = "it is broken") throws {
        let path = folder.appending(relative)
        try FileManager.default.createDirectory(atPath: path.removingLastComponent().string, withIntermediateDirectories: true)
        let sidecar = FailureSidecar(code: .undecodable, reason: reason, file: relative,
                                     fileBytesBase64: Data(relative.utf8).base64EncodedString(), engine: "local",
                                     filedAt: "2026-12-04T00:00:00Z", details: ["libvips": "VipsJpeg: premature end"])
        try writeFile(path.removingLastComponent().appending(OutputNaming.sidecar(for: path.lastComponent!)),
                      Array(try JSONEncoder().encode(sidecar)))
        try ImageFactory.write(path)
    }

    func inode(_ path: FilePath) -> UInt64 {
        var st = stat()
        return lstat(path.string, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    @Test func theShelfListsFilesWithTheirReasonsUnderOpaqueIds() async throws {
        let rig = try await PipelineRig()
        defer { Task { await rig.stop() } }
        try Self.file("trip/a.jpg", in: rig.layout.failed)
        try Self.file("b.png", in: rig.layout.failed)
        try writeFile(rig.layout.failed.appending(".upscaled-tmp-job-x"), [1])              // a temp being written
        symlink("/etc/passwd", rig.layout.failed.appending("passwd.png").string)          // never served
        let shelf = ReviewShelf(.failed, layout: rig.layout)
        let items = shelf.items()
        #expect(Set(items.map(\.relative.string)) == ["trip/a.jpg", "b.png"])
        for item in items {
            #expect(item.id.allSatisfy { $0.isLetter || $0.isNumber } && item.id.hasPrefix("f"))
            #expect(shelf.sidecar(of: item)?.reason == "it is broken")
            #expect(shelf.item(id: item.id) == item)
        }
        #expect(shelf.item(id: "../../etc/passwd") == nil && shelf.item(id: "") == nil)
        // Replaced under the same name: a new id; the old one finds nothing.
        let old = try #require(items.first { $0.relative.string == "b.png" })
        try FileManager.default.removeItem(atPath: rig.layout.failed.appending("b.png").string)
        try ImageFactory.write(rig.layout.failed.appending("b.png"), width: 10, height: 10)
        #expect(shelf.item(id: old.id) == nil)
        #expect(shelf.items().count == 2)
    }

    @Test func aRetryPutsTheFileBackUnderItsOwnNameAndItIsProcessedOnce() async throws {
        let rig = try await PipelineRig()
        try Self.file("trip/a.jpg", in: rig.layout.failed)
        let shelf = ReviewShelf(.failed, layout: rig.layout)
        let item = try #require(shelf.items().first)
        let actions = ReviewActions(layout: rig.layout)
        #expect(try actions.retry(item, on: shelf) == .done("inbox/trip/a.jpg"))
        #expect(try actions.retry(item, on: shelf) == .gone)                     // clicked twice: one job
        #expect(rig.everything == ["inbox/trip/a.jpg"])                          // the reason went with it
        await rig.pipeline.scan(reason: "test")
        #expect(await eventually(timeout: PipelineRig.patience) { exists(rig.layout.archive.appending("trip/a.jpg")) })
        await rig.stop()
        #expect(rig.everything == ["archive/trip/a.jpg", "outbox/trip/a.png"])
        #expect(listFiles(rig.layout.journal, includeHidden: true).isEmpty)
    }

    @Test func aRetryDoesNotReplaceANewFileOfThatNameInTheInbox() async throws {
        let rig = try await PipelineRig()
        defer { Task { await rig.stop() } }
        try Self.file("a.jpg", in: rig.layout.failed)
        try writeFile(rig.layout.inbox.appending("a.jpg.part"), [1])
        let shelf = ReviewShelf(.failed, layout: rig.layout)
        let item = try #require(shelf.items().first)
        try FileManager.default.moveItem(atPath: rig.layout.inbox.appending("a.jpg.part").string,
                                         toPath: rig.layout.inbox.appending("a.jpg").string)
        #expect(try ReviewActions(layout: rig.layout).retry(item, on: shelf) == .occupied("inbox/a.jpg"))
        #expect(exists(rig.layout.failed.appending("a.jpg")) && exists(rig.layout.failed.appending("a.jpg.json")))
    }

    @Test func releaseArchivesAQuarantinedFileAndDeleteRemovesOneWithItsReason() async throws {
        let rig = try await PipelineRig()
        defer { Task { await rig.stop() } }
        try Self.file("x.png", in: rig.layout.quarantine, reason: "the API's content filter")
        try Self.file("y.png", in: rig.layout.quarantine)
        try ImageFactory.write(rig.layout.archive.appending("x.png"))           // taken: x (1).png
        let shelf = ReviewShelf(.quarantine, layout: rig.layout)
        let actions = ReviewActions(layout: rig.layout)
        let x = try #require(shelf.items().first { $0.relative.string == "x.png" })
        let y = try #require(shelf.items().first { $0.relative.string == "y.png" })
        #expect(try actions.release(x, on: shelf) == .done("archive/x (1).png"))
        #expect(try actions.delete(y, on: shelf) == .done(nil))
        #expect(try actions.delete(y, on: shelf) == .gone)
        #expect(listFiles(rig.layout.quarantine, includeHidden: true).isEmpty)
        #expect(listFiles(rig.layout.journal, includeHidden: true).isEmpty)
    }

    /// A crash with the file set aside for deletion: the start deletes it if it is the file
    /// chosen, and puts it back if it is another (a replacement that took the name).
    @Test func aDeleteInterruptedByACrashIsFinishedOnlyForTheFileChosen() async throws {
        var chosen: UInt64 = 0
        var other: UInt64 = 0
        let rig = try await PipelineRig(crashed: { layout in
            for (name, keep) in [("gone.png", false), ("kept.png", true)] {
                try Self.file(name, in: layout.failed)
                let source = layout.failed.appending(name)
                let aside = layout.failed.appending(".upscaled-deleting-\(name)")
                try FileOperations.replace(source, to: aside)
                let listed = keep ? 1 : self.inode(aside)                   // kept: the listed inode is another one
                if keep { other = self.inode(aside) } else { chosen = listed }
                var record = JournalRecord(id: "review-\(name)", state: .reviewing, relativePathBase64: Data(name.utf8).base64EncodedString(),
                                           relativePath: name, claimName: "", createdAt: "2026-12-04T00:00:00Z")
                record.review = ReviewStep(action: .delete, sourceBase64: Data("failed/\(name)".utf8).base64EncodedString(),
                                           destinationBase64: Data("failed/.upscaled-deleting-\(name)".utf8).base64EncodedString(),
                                           inode: listed)
                try writeFile(layout.journal.appending("\(record.id).json"), Array(try JSONEncoder().encode(record)))
            }
        })
        await rig.stop()
        #expect(chosen != 0 && other != 0)
        #expect(rig.recovery.finished == 2 && rig.recovery.problems.isEmpty)
        #expect(listFiles(rig.layout.failed, includeHidden: true) == ["kept.png", "kept.png.json"])
        #expect(listFiles(rig.layout.journal, includeHidden: true).isEmpty)
    }

    /// A retry sets the reason aside, moves the file, then removes the reason. A crash after the
    /// move: the start removes the reason set aside and the file is processed once. A crash
    /// before it: the reason goes back beside its file.
    @Test func aRetryInterruptedByACrashLeavesNoOrphanReasonAndLosesNoReason() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            for (name, moved) in [("c.jpg", true), ("d.jpg", false)] {
                try Self.file(name, in: layout.failed)
                let id = "review-\(name)"
                try FileOperations.replace(layout.failed.appending("\(name).json"),
                                           to: layout.failed.appending(".upscaled-reviewing-\(id).json"))
                let inode = self.inode(layout.failed.appending(name))
                if moved { try FileOperations.replace(layout.failed.appending(name), to: layout.inbox.appending(name)) }
                var record = JournalRecord(id: id, state: .reviewing, relativePathBase64: Data(name.utf8).base64EncodedString(),
                                           relativePath: name, claimName: "", createdAt: "2026-12-04T00:00:00Z")
                record.review = ReviewStep(action: .retry, sourceBase64: Data("failed/\(name)".utf8).base64EncodedString(),
                                           destinationBase64: Data("inbox/\(name)".utf8).base64EncodedString(), inode: inode)
                try writeFile(layout.journal.appending("\(record.id).json"), Array(try JSONEncoder().encode(record)))
            }
        })
        #expect(rig.recovery.finished == 2 && rig.recovery.problems.isEmpty)
        #expect(rig.everything == ["failed/d.jpg", "failed/d.jpg.json", "inbox/c.jpg"])
        await rig.pipeline.scan(reason: "start-up scan")
        #expect(await eventually(timeout: PipelineRig.patience) { exists(rig.layout.archive.appending("c.jpg")) })
        await rig.stop()
        #expect(rig.everything == ["archive/c.jpg", "failed/d.jpg", "failed/d.jpg.json", "outbox/c.png"])
        #expect(listFiles(rig.layout.failed, includeHidden: true) == ["d.jpg", "d.jpg.json"])
    }

    @Test func aSidecarPathThatLeavesTheInboxIsNotFollowed() {
        for bad in ["../../etc/x.png", "/etc/x.png", "a/../../b.png", ".upscaled/hosts/x.png", "", "./a.png"] {
            #expect(ReviewActions.safeRelative(base64: Data(bad.utf8).base64EncodedString()) == nil, "\(bad)")
        }
        #expect(ReviewActions.safeRelative(base64: Data("trip/a.png".utf8).base64EncodedString()) == "trip/a.png")
    }
}
