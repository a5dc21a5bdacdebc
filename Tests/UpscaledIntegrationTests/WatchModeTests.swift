import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// Polling, a vanished inbox, the periodic rescan and overflow handling, on the real binary.
@Suite struct WatchModeTests {
    @Test func pollingFindsFilesWithoutInotify() async throws {
        let h = try DaemonHarness()
        try await h.start(["--watch", "poll", "--quiet-window-ms", "100"],
                          environment: [:])
        let ready = try #require(h.socket.received.first { $0.contains("READY=1") })
        #expect(ready.contains("polling (forced)"))
        // Written in place, then moved in: polling sees both, each once it looks settled.
        try writeFile(h.inbox.appending("written.png"), try { let p = h.home.path.appending("w.png"); try ImageFactory.write(p); return try readFile(p) }())
        try h.drop("moved.jpg") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("written.png")) && exists(h.outbox.appending("moved.png")) })
        #expect(await h.stop() == 0)
        #expect(h.everything == ["archive/moved.jpg", "archive/written.png", "outbox/moved.png", "outbox/written.png"])
    }

    @Test func aVanishedInboxIsWaitedForNotTreatedAsDeleted() async throws {
        let h = try DaemonHarness()
        try await h.start()
        let away = h.root.appending("inbox-unmounted")
        #expect(rename(h.inbox.string, away.string) == 0)          // the share goes away
        #expect(await h.socket.waitFor { $0.contains("waiting for inbox") } != nil)
        try ImageFactory.write(away.appending("while-away.png"))   // written on the NAS meanwhile
        #expect(rename(away.string, h.inbox.string) == 0)          // and it comes back
        #expect(await eventually { exists(h.outbox.appending("while-away.png")) })
        try h.drop("after.png") { try ImageFactory.write($0) }     // watched again
        #expect(await eventually { exists(h.outbox.appending("after.png")) })
        #expect(await h.stop() == 0)
    }

    @Test func thePeriodicRescanFindsWhatNoEventAnnounced() async throws {
        let h = try DaemonHarness()
        let config = h.home.path.appending("c.toml")
        try writeFile(config, Array("rescan_interval_s = 10\n".utf8))
        let daemon = try await h.start(["--config", config.string])
        // A hard link made into the inbox: inotify says IN_CREATE only, which is never taken
        // for a finished file (it is empty then, for a writer). No other event will come: only
        // the rescan can find it.
        let outside = h.home.path.appending("linked.png")
        try ImageFactory.write(outside)
        #expect(link(outside.string, h.inbox.appending("linked.png").string) == 0)
        #expect(await eventually(timeout: .seconds(40)) { exists(h.outbox.appending("linked.png")) }, "\(daemon.log)")
        #expect(daemon.log.contains("periodic safety rescan"))
        #expect(await h.stop() == 0)
    }

    /// Issue 10, defect 2: a reload that lifts an ignore rule lifts it everywhere: for files
    /// already waiting (looked at again at once) and for the watcher's next events.
    @Test func aReloadOfIgnoreSuffixesReachesTheWatcher() async throws {
        let h = try DaemonHarness()
        let config = h.home.path.appending("c.toml")
        try writeFile(config, Array("rescan_interval_s = 0\nignore_suffixes = [\".hold\"]\n".utf8))
        let daemon = try await h.start(["--config", config.string])
        try h.drop("early.png.hold") { try ImageFactory.write($0) }
        try h.drop("plain.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("plain.png")) })
        #expect(exists(h.inbox.appending("early.png.hold")))               // ignored, as configured
        try writeFile(config, Array("rescan_interval_s = 0\n".utf8))
        daemon.signal(SIGHUP)
        #expect(await eventually { exists(h.outbox.appending("early.png.png")) }, "\(daemon.log)")
        try h.drop("late.png.hold") { try ImageFactory.write($0) }         // an event the watcher must now pass on
        #expect(await eventually { exists(h.outbox.appending("late.png.png")) }, "\(daemon.log)")
        #expect(await h.stop() == 0)
    }
}

@Suite struct WatchLimitTests {
    @Test(arguments: [(ENOSPC, "max_user_watches"), (EMFILE, "max_user_instances")])
    func aWatchLimitFallsBackToPollingAndSaysWhatToRaise(_ injected: Int32, _ sysctl: String) async throws {
        let h = try DaemonHarness()
        let daemon = try await h.start(environment: ["UPSCALED_INJECT_INOTIFY_ERRNO": "\(injected)"])
        let ready = try #require(h.socket.received.first { $0.contains("READY=1") })
        #expect(ready.contains("polling (inotify unavailable)"))
        #expect(daemon.log.contains(sysctl))
        try h.drop("still-works.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("still-works.png")) })
        #expect(await h.stop() == 0)
    }
}
