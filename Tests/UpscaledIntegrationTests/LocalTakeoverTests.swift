import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// Two daemons on one local root (inotify, no polls: two daemons on one machine, or both on the
/// file server). One is killed for good while it holds claims; the survivor, idle by then, takes
/// its work over after the lease by itself, with nothing but its own timer to wake it.
@Suite struct LocalTakeoverTests {
    @Test func anIdleSurvivorTakesOverAHostKilledForGoodAfterTheLease() async throws {
        let survivor = try DaemonHarness()
        let victim = try DaemonHarness(sharingRootOf: survivor, hostID: "victim")
        try FileManager.default.createDirectory(atPath: survivor.inbox.string, withIntermediateDirectories: true)
        let config = survivor.home.path.appending("lease.toml")
        try writeFile(config, Array("engine = \"local\"\nworkers = 1\nhost_lease_s = 5\nlog_level = \"debug\"\n".utf8))
        let source = survivor.home.path.appending("big.png")
        try ImageFactory.write(source, width: 1600, height: 1200)     // about a second a job
        let bytes = try readFile(source)
        let names = (0..<6).map { String(format: "photo-%02d.png", $0) }

        try await survivor.start(["--config", config.string])
        let doomed = try await victim.start(["--config", config.string])
        for name in names { try survivor.drop(name) { try writeFile($0, bytes) } }
        // Frozen (SIGSTOP) the moment it is seen holding a claim, so it still holds it when it dies.
        #expect(await eventually(timeout: .seconds(60)) {
            guard !listFiles(victim.claims).isEmpty else { return false }
            doomed.signal(SIGSTOP)
            if !listFiles(victim.journal).isEmpty { return true }
            doomed.signal(SIGCONT)
            return false
        }, "\(doomed.log)")
        // Killed holding the claim seen just now: from here on it does nothing more. (Under a
        // loaded machine the survivor may take it over before waitForExit returns.)
        doomed.signal(SIGKILL)
        let death = ContinuousClock.now
        #expect(await doomed.waitForExit() != nil)

        let hosts = survivor.root.appending("inbox/.upscaled/hosts")
        let done = await eventually(timeout: .seconds(120)) {
            listFiles(survivor.archive).count == names.count && !exists(hosts.appending("victim"))
        }
        let log = survivor.daemon?.log ?? ""
        #expect(done, "left: \(listFiles(hosts, includeHidden: true)), inbox \(listFiles(survivor.inbox)); \(log)")
        #expect(ContinuousClock.now - death >= .seconds(5), "taken over before the lease ran out")
        #expect(log.contains("took over the work of host victim"), "\(log)")
        #expect(await survivor.stop() == 0)
        #expect(listFiles(survivor.outbox, includeHidden: true) == names)
        #expect(listFiles(survivor.archive, includeHidden: true) == names)
        #expect(listFiles(survivor.failed, includeHidden: true).isEmpty)
    }
}
