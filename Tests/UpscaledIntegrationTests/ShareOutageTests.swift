import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// Issue 11: a file server that goes away and comes back. A daemon reaches its root through its
/// own FUSE mount (`SeparateHost`), as an NFS client does; the mount dies under it while it
/// works (its bindfs ended: every call answers ENOTCONN, as a hard-down server does), files keep
/// arriving on the server, and the share is mounted again. The daemon must neither crash nor
/// lose or duplicate anything, and must go on by itself, without a restart.
@Suite struct ShareOutageTests {
    @Test func aShareThatGoesAwayAndComesBackLosesNothingAndResumes() async throws {
        if let why = SeparateHost.unavailableReason {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("cannot run separate hosts in CI: \(why)") }
            print("ShareOutageTests skipped: \(why)")
            return
        }
        let shared = TempDirectory("upscaled-shared")
        let host = try DaemonHarness(separateHostOn: shared.path, hostID: "client")
        try FileManager.default.createDirectory(atPath: host.inbox.string, withIntermediateDirectories: true)
        let config = shared.path.appending("client.toml")
        try writeFile(config, Array("""
            engine = "local"
            poll_interval_ms = 250
            quiet_window_ms = 300
            workers = 1

            """.utf8))
        let source = shared.path.appending("good.png")
        try ImageFactory.write(source, width: 1600, height: 1200)    // about a second a job: cut off mid-job
        let bytes = try readFile(source)
        var names: [String] = []
        func drop(_ count: Int) throws {
            for _ in 0..<count {
                let name = String(format: "scan-%03d.png", names.count)
                try host.drop(name) { try writeFile($0, bytes) }
                names.append(name)
            }
        }

        let daemon = try await host.start(["--config", config.string])
        try drop(20)
        #expect(await eventually(timeout: .seconds(60)) { listFiles(host.outbox).count >= 2 && !listFiles(host.claims).isEmpty })
        SeparateHost.unmount(host.mountpoint!)                   // the server goes away mid-job
        // A job cut off holds its claim: it cannot be put back while the share is gone.
        let cutMidJob = !listFiles(host.claims).isEmpty
        print("ShareOutageTests: cut off mid-job: \(cutMidJob)")
        try drop(10)                                             // and gets files meanwhile
        try await Task.sleep(for: .seconds(4))
        #expect(daemon.process.isRunning, "the daemon ended while its share was gone: \(daemon.log)")
        try SeparateHost.reconnect(namespaceOf: daemon.pid, shared: shared.path, mountpoint: host.mountpoint!)

        let done = await eventually(timeout: .seconds(120)) {
            listFiles(host.archive).count >= names.count && listFiles(host.inbox).isEmpty && listFiles(host.claims).isEmpty
        }
        #expect(done, "left: inbox \(listFiles(host.inbox)), claims \(listFiles(host.claims)), failed \(listFiles(host.failed)); \(daemon.log)")
        if cutMidJob {
            #expect(daemon.log.contains("back into the inbox: its folder answers again"), "the claim cut off mid-job went back without a restart: \(daemon.log)")
        }
        #expect(await host.stop() == 0, "\(daemon.log)")
        #expect(listFiles(host.outbox, includeHidden: true) == names)
        #expect(listFiles(host.archive, includeHidden: true) == names)
        #expect(listFiles(host.failed, includeHidden: true).isEmpty)
        #expect(listFiles(host.journal, includeHidden: true).isEmpty)
    }
}
