import Foundation
import Logging
import SystemPackage
import Testing
import UpscaledCore
@testable import UpscaledDaemon
import UpscaledLinux
import UpscaledTestSupport

/// Taking over a dead host's work (issue 11): the folder moves by one rename, exactly one
/// survivor gets it, and its journal is replayed by the rules of our own crash recovery.
@Suite struct TakeoverTests {
    let records = HostStateTests()

    /// A dead host's folder as its crash left it: one job claimed, one whose result was linked.
    func leaveDeadHost(_ id: String, in layout: FolderLayout) throws {
        let dead = layout.ofHost(id)
        for folder in [dead.claims, dead.journal] {
            try FileManager.default.createDirectory(atPath: folder.string, withIntermediateDirectories: true)
        }
        try ImageFactory.write(dead.claims.appending("j1.png"))
        try records.write(records.record("j1", relative: "trip/a.png", claimName: "j1.png", host: id), in: dead.journal)
        try ImageFactory.write(dead.claims.appending("j2.png"))
        try FileManager.default.createDirectory(atPath: layout.outbox.string, withIntermediateDirectories: true)
        let output = layout.outbox.appending("b.png")
        try ImageFactory.write(output)
        var committed = records.record("j2", relative: "b.png", claimName: "j2.png", host: id)
        committed.state = .committingOutput
        committed.destinationBase64 = Data("outbox/b.png".utf8).base64EncodedString()
        committed.outputInode = try FileOperations.status(output).inode
        try records.write(committed, in: dead.journal)
        try writeFile(layout.hosts.appending(id).appending("heartbeat"), Array("host \(id)\n".utf8))
    }

    @Test func aDeadHostsJobsAreFinishedOrReturnedAndItsFolderIsGone() async throws {
        let rig = try await PipelineRig()
        try leaveDeadHost("dead", in: rig.layout)
        var report = JobRunner.RecoveryReport()
        rig.runner.takeOver("dead", report: &report)
        await rig.stop()
        #expect(report.takenOver == ["dead"] && report.putBack == 1 && report.finished == 1, "\(report)")
        #expect(rig.everything == ["archive/b.png", "inbox/trip/a.png", "outbox/b.png"])
        #expect(!exists(rig.layout.hosts.appending("dead")))
        #expect(listFiles(rig.layout.taken, includeHidden: true).isEmpty)
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    /// Two survivors judge the same host dead at the same moment: one rename wins.
    @Test func twoSurvivorsTakingOverAtOnceTakeItExactlyOnce() async throws {
        let rig = try await PipelineRig()
        let other = FolderLayout(config: rig.config.asHost("survivor-2"))
        try other.prepare()
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let second = JobRunner(layout: other, engine: rig.engine, io: rig.io, logger: quiet)
        for round in 0..<20 {
            let id = "dead-\(round)"
            try? FileManager.default.removeItem(atPath: rig.layout.outbox.appending("b.png").string)   // the last round's
            try? FileManager.default.removeItem(atPath: rig.layout.archive.appending("b.png").string)
            try leaveDeadHost(id, in: rig.layout)
            async let first: JobRunner.RecoveryReport = Task.detached { [runner = rig.runner] in
                var report = JobRunner.RecoveryReport()
                runner.takeOver(id, report: &report)
                return report
            }.value
            async let next: JobRunner.RecoveryReport = Task.detached {
                var report = JobRunner.RecoveryReport()
                second.takeOver(id, report: &report)
                return report
            }.value
            let reports = await [first, next]
            #expect(reports.filter { $0.takenOver == [id] }.count == 1, "round \(round): \(reports)")
            #expect(!exists(rig.layout.hosts.appending(id)))
            #expect(rig.everything == ["archive/b.png", "inbox/trip/a.png", "outbox/b.png"], "round \(round)")
            try FileManager.default.removeItem(atPath: rig.layout.inbox.appending("trip").string)
        }
        await rig.stop()
    }

    /// A crash in the middle of a take-over leaves the folder in our `taken/`: the next start
    /// replays it.
    @Test func aTakeOverInterruptedByACrashIsFinishedAtTheNextStart() async throws {
        let rig = try await PipelineRig(crashed: { layout in
            try self.leaveDeadHost("gone.example", in: layout)
            try FileManager.default.createDirectory(atPath: layout.taken.string, withIntermediateDirectories: true)
            #expect(rename(layout.hosts.appending("gone.example").string, layout.taken.appending("gone.example.1700000000000-x").string) == 0)
        })
        await rig.stop()
        #expect(rig.recovery.takenOver == ["gone.example"], "\(rig.recovery)")
        #expect(rig.everything == ["archive/b.png", "inbox/trip/a.png", "outbox/b.png"])
        #expect(listFiles(rig.layout.taken, includeHidden: true).isEmpty)
    }

    /// What a look at the other hosts sees: who holds work, the newest mtime, a held lock.
    /// A beat between the judgement and the take-over means the host lives: its heartbeat no
    /// longer says what it said when it was judged dead, and nothing of it is touched.
    @Test func aHostThatBeatSinceItWasJudgedIsNotTakenOver() async throws {
        let rig = try await PipelineRig()
        try leaveDeadHost("late", in: rig.layout)
        let judged = try #require(rig.runner.observePeers().first?.heartbeat)
        try writeFile(rig.layout.hosts.appending("late/heartbeat"), Array("host late, beat 2\n".utf8))
        var report = JobRunner.RecoveryReport()
        rig.runner.takeOver("late", heartbeat: .some(judged), report: &report)
        #expect(report.takenOver.isEmpty && exists(rig.layout.ofHost("late").journal.appending("j1.json")))
        rig.runner.takeOver("late", heartbeat: .some("host late, beat 2\n"), report: &report)
        #expect(report.takenOver == ["late"] && !exists(rig.layout.hosts.appending("late")))
        await rig.stop()
    }

    @Test func aPeerIsSeenWithItsWorkItsLastSignAndItsLock() async throws {
        let rig = try await PipelineRig()
        try leaveDeadHost("busy", in: rig.layout)
        try FileManager.default.createDirectory(atPath: rig.layout.ofHost("idle").journal.string, withIntermediateDirectories: true)
        let lock = try #require(try HostLock.acquire(rig.layout.ofHost("busy").hostLock, holder: "test"))
        let peers = rig.runner.observePeers()
        #expect(peers.map(\.id) == ["busy", "idle"])
        #expect(peers[0].holdsWork && peers[0].lockHeld && peers[0].lastSign != nil)
        #expect(!peers[1].holdsWork && !peers[1].lockHeld)
        // A live holder of the lock is never taken over, whatever the lease said.
        var report = JobRunner.RecoveryReport()
        rig.runner.takeOver("busy", report: &report)
        #expect(report.takenOver.isEmpty && exists(rig.layout.ofHost("busy").journal.appending("j1.json")))
        lock.release()
        #expect(rig.runner.observePeers()[0].lockHeld == false)
        await rig.stop()
    }

    /// The dead host starting again while a survivor holds its lock (from the probe) and moves
    /// its folder away: the start waits, then locks a new file in a new folder, not the moved one.
    @Test func aHostStartingDuringItsTakeOverLocksANewFolder() async throws {
        let temp = TempDirectory("upscaled-lock")
        let path = temp.appending("hosts/back/lock")
        try FileManager.default.createDirectory(atPath: temp.appending("hosts/back").string, withIntermediateDirectories: true)
        try writeFile(path, [])
        let probe = try #require(try HostLock.probe(path))
        #expect(try HostLock.acquire(path, holder: "back", patience: .zero) == nil, "a probe holds the lock")
        // Patience beyond the 3 s default: the full suite beside it can starve this test for longer.
        let starting = Task.detached { try HostLock.acquire(path, holder: "back", patience: .seconds(120)) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(rename(temp.appending("hosts/back").string, temp.appending("taken").string) == 0)
        probe.release()
        let lock = try #require(try await starting.value, "the start gave up while the survivor moved the folder")
        #expect(lock.path == path && exists(path))
        // The moved lock file is free: the new lock is on the new file.
        let moved = try #require(try HostLock.probe(temp.appending("taken/lock")))
        moved.release()
        #expect(try HostLock.probe(path) == nil)
    }

    /// The heartbeat reports the server's mtime, and notices its folder renamed away or replaced.
    @Test func theHeartbeatNoticesItsFolderTakenOver() throws {
        let temp = TempDirectory("upscaled-heartbeat")
        let folder = temp.appending("hosts/me")
        try FileManager.default.createDirectory(atPath: folder.string, withIntermediateDirectories: true)
        let heartbeat = try HostHeartbeat(folder: folder)
        let now = try heartbeat.beat("host me")
        #expect(abs(now - Date().timeIntervalSince1970) < 60)
        #expect(rename(folder.string, temp.appending("hosts/moved").string) == 0)
        #expect(throws: HostHeartbeat.BeatError.self) { try heartbeat.beat("host me") }
        try FileManager.default.createDirectory(atPath: folder.string, withIntermediateDirectories: true)
        do {
            _ = try heartbeat.beat("host me")
            Issue.record("a new folder of the same name was taken for ours")
        } catch {
            guard case .takenOver = error else { Issue.record("\(error)"); return }
        }
        #expect(!exists(folder.appending("heartbeat")))
    }
}
