import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// Two daemons with different host ids on one root, as two machines on one shared folder: one
/// is killed with SIGKILL and restarted several times while the other works on. Each replays only
/// its own journal, so every input still ends exactly once under its own name. (Before per-host
/// state, the restarted daemon's replay put the other's claimed file back mid-job, and files
/// ended with their internal claim id for a name.)
@Suite struct SharedRootTests {
    @Test func aHostKilledAndRestartedNeverTouchesTheOtherHostsJobs() async throws {
        let steady = try DaemonHarness()                                  // host id "harness"
        let crashing = try DaemonHarness(sharingRootOf: steady, hostID: "crashing")
        var generator = SeededGenerator(label: "shared root kill -9 timings")
        let total = 120
        try FileManager.default.createDirectory(atPath: steady.inbox.string, withIntermediateDirectories: true)
        let good = steady.home.path.appending("good.png")
        try ImageFactory.write(good, width: 400, height: 300)          // long enough to be killed mid-job
        let bytes = try readFile(good)
        var names: [String] = []
        func drop(_ count: Int) throws {
            for _ in 0..<count where names.count < total {
                let name = String(format: "shot-%03d.png", names.count)
                try steady.drop(name) { try writeFile($0, bytes) }
                names.append(name)
            }
        }
        try await steady.start(["--workers", "1"])
        try drop(20)
        for round in 0..<6 {
            let daemon = try await crashing.start(["--workers", "1"], waitForReady: false)
            try drop(Int.random(in: 6...16, using: &generator))
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...900, using: &generator)))
            daemon.signal(SIGKILL)
            #expect(await daemon.waitForExit() != nil, "round \(round)")
        }
        try drop(total)
        try await crashing.start(["--workers", "1"])
        let finished = await eventually(timeout: .seconds(180)) {
            listFiles(steady.inbox).isEmpty && listFiles(steady.claims).isEmpty && listFiles(crashing.claims).isEmpty
        }
        #expect(finished, "left: inbox \(listFiles(steady.inbox)), claims \(listFiles(steady.claims) + listFiles(crashing.claims))")
        // Each host's status is its own; `status` names the others on the root.
        let (code, status) = try await runUpscaled(["status", "--root", steady.root.string, "--host-id", steady.hostID],
                                                   home: steady.home.path)
        #expect(code == 0 && status.contains("as host harness") && status.contains("  crashing: "), "\(status)")
        #expect(await crashing.stop() == 0)
        #expect(await steady.stop() == 0)

        // Every input once, under its own name, and nothing else anywhere.
        let outbox = listFiles(steady.outbox, includeHidden: true)
        let archive = listFiles(steady.archive, includeHidden: true)
        #expect(outbox == names, "outbox: \(Set(outbox).symmetricDifference(names).sorted())")
        #expect(archive == names, "archive: \(Set(archive).symmetricDifference(names).sorted())")
        #expect(listFiles(steady.failed, includeHidden: true).isEmpty)
        for h in [steady, crashing] {
            #expect(listFiles(h.journal, includeHidden: true).isEmpty, "\(h.hostID)'s journal")
            #expect(listFiles(h.claims, includeHidden: true).isEmpty, "\(h.hostID)'s claims")
        }
    }

    /// Two daemons as the same host on one root would finish each other's jobs (a cloned VM keeps
    /// its twin's machine id): the second is refused at start, and once the first is gone, even
    /// by SIGKILL, the host can start again.
    @Test func aSecondDaemonAsTheSameHostIsRefusedUntilTheFirstIsGone() async throws {
        let first = try DaemonHarness()
        let twin = try DaemonHarness(sharingRootOf: first, hostID: first.hostID)
        let running = try await first.start()
        let refused = try await twin.start(waitForReady: false)
        #expect(await refused.waitForExit() == 78)
        #expect(refused.log.contains("another daemon is already running as host \(first.hostID)"), "\(refused.log)")
        try first.drop("a.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(first.outbox.appending("a.png")) })
        running.signal(SIGKILL)
        #expect(await running.waitForExit() != nil)
        try await twin.start()
        #expect(await twin.stop() == 0)
    }

    /// `upscaled status` shows the cluster from the hosts' folders, even on a machine whose own
    /// daemon is not running: a host silent past the lease while holding claims is "presumed
    /// dead", a host with nothing claimed holds no work.
    @Test func statusShowsEachHostsHeartbeatClaimsAndWhetherItIsPresumedDead() async throws {
        let home = TempDirectory("upscaled-status")
        let hosts = home.appending("Upscale/inbox/.upscaled/hosts")
        for folder in ["deadbox/claims", "deadbox/journal", "livebox/claims", "idlebox"] {
            try FileManager.default.createDirectory(atPath: hosts.appending(folder).string, withIntermediateDirectories: true)
        }
        try writeFile(hosts.appending("deadbox/claims/j1.png"), [1])
        try writeFile(hosts.appending("deadbox/claims/j2.png"), [1])
        try writeFile(hosts.appending("livebox/claims/j3.png"), [1])
        for host in ["deadbox", "livebox", "idlebox"] { try writeFile(hosts.appending("\(host)/heartbeat"), Array("host \(host)".utf8)) }
        // deadbox: every sign of life 20 minutes old, past the default lease of 300 s.
        let old = timespec(tv_sec: time(nil) - 1200, tv_nsec: 0)
        for path in ["deadbox/heartbeat", "deadbox/claims", "deadbox/journal", "deadbox"] {
            var times = [old, old]
            #expect(utimensat(AT_FDCWD, hosts.appending(path).string, &times, 0) == 0)
        }
        let (code, status) = try await runUpscaled(["status", "--root", home.appending("Upscale").string, "--host-id", "me"],
                                                   home: home.path)
        #expect(code == 3, "no daemon runs as host me: \(status)")
        let lines = status.split(separator: "\n").map(String.init)
        let dead = lines.first { $0.hasPrefix("  deadbox: ") } ?? ""
        #expect(dead.contains("heartbeat 20 min ago") && dead.contains("2 claimed") && dead.contains("presumed dead"), "\(status)")
        let live = lines.first { $0.hasPrefix("  livebox: ") } ?? ""
        #expect(live.contains("1 claimed") && live.contains("alive") && !live.contains("dead"), "\(status)")
        let idle = lines.first { $0.hasPrefix("  idlebox: ") } ?? ""
        #expect(idle.contains("0 claimed") && idle.contains("holds no work"), "\(status)")
    }
}
