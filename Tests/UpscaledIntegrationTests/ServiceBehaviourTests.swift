import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// How the daemon behaves as a service: sd_notify messages through a real NOTIFY_SOCKET,
/// signals, reload, graceful stop with work in flight, status, exit codes.
@Suite struct ServiceBehaviourTests {
    @Test func readyStatusAndStoppingAreSent() async throws {
        let h = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: h.inbox.string, withIntermediateDirectories: true)
        try ImageFactory.write(h.inbox.appending("waiting.png"))
        try await h.start()
        let ready = try #require(h.socket.received.first { $0.contains("READY=1") })
        // READY comes with a status, after the start-up scan has queued the waiting file.
        #expect(ready.contains("STATUS="))
        #expect(await eventually { exists(h.outbox.appending("waiting.png")) })
        let done = await h.socket.waitFor { $0.hasPrefix("STATUS=") && $0.contains("done 1") }
        #expect(done?.contains("idle") == true || done?.contains("working") == true)
        #expect(await h.stop() == 0)
        let messages = h.socket.received
        let stopping = try #require(messages.firstIndex { $0.contains("STOPPING=1") })
        let readyIndex = try #require(messages.firstIndex { $0.contains("READY=1") })
        #expect(readyIndex < stopping)
        // Nothing floods: a handful of status updates for one file.
        #expect(messages.count < 20, "\(messages)")
    }

    @Test func sigtermWithWorkInFlightLosesNothing() async throws {
        let h = try DaemonHarness()
        try await h.start(["--workers", "2"])
        let count = 24
        for i in 0..<count {
            try h.drop("batch-\(i).png") { try ImageFactory.write($0, width: 700, height: 500) }
        }
        // Stop as soon as the first results land: several jobs are in flight, more are queued.
        #expect(await eventually { !listFiles(h.outbox).isEmpty })
        let first = try #require(h.daemon)
        let status = await h.stop()
        #expect(status == 0, "exit \(String(describing: status)); log:\n\(first.log)")
        let inbox = listFiles(h.inbox)
        let outbox = listFiles(h.outbox)
        let archive = listFiles(h.archive)
        // Every input is exactly once either still in the inbox or done (result + archived original).
        #expect(Set(outbox.map { $0 }) == Set(archive.map { $0 }))
        #expect(inbox.count + outbox.count == count, "inbox \(inbox.count) outbox \(outbox.count)")
        #expect(Set(inbox).isDisjoint(with: Set(archive)))
        #expect(!inbox.isEmpty, "the stop came too late to leave work queued; the scenario proved nothing")
        #expect(listFiles(h.claims, includeHidden: true).isEmpty)
        #expect(listFiles(h.journal, includeHidden: true).isEmpty)
        #expect(listFiles(h.failed).isEmpty)
        for name in outbox { #expect(try ImageFactory.info(h.outbox.appending(name)).width == 1400) }
        // And the rest is picked up at the next start.
        try await h.start()
        #expect(await eventually { listFiles(h.outbox).count == count })
        #expect(await h.stop() == 0)
        #expect(listFiles(h.inbox).isEmpty)
    }

    /// A SIGTERM the moment READY=1 is out, before the service group listens, is a graceful stop
    /// (exit 0), not SIGTERM's default action (killed by signal 15).
    @Test func aStopRightAfterReadyIsGraceful() async throws {
        for _ in 0..<5 {
            let h = try DaemonHarness()
            let daemon = try await h.start()
            daemon.signal(SIGTERM)
            let code = await daemon.waitForExit()
            #expect(code == 0, "exit \(String(describing: code)): \(daemon.log)")
        }
    }

    @Test func sighupReloadsTheConfiguration() async throws {
        let h = try DaemonHarness()
        let config = h.home.path.appending("upscaled.toml")
        try writeFile(config, Array("scale = 2\noutput_format = \"png\"\n".utf8))
        let daemon = try await h.start(["--config", config.string])
        try h.drop("before.png") { try ImageFactory.write($0, width: 20, height: 10) }
        #expect(await eventually { exists(h.outbox.appending("before.png")) })
        #expect(try ImageFactory.info(h.outbox.appending("before.png")).width == 40)

        try writeFile(config, Array("scale = 3\noutput_format = \"jpeg\"\n".utf8))
        let readyBefore = h.socket.received.filter { $0.contains("READY=1") }.count
        daemon.signal(SIGHUP)
        let reloading = await h.socket.waitFor { $0.contains("RELOADING=1") }
        #expect(reloading?.contains("MONOTONIC_USEC=") == true)
        #expect(await eventually { h.socket.received.filter { $0.contains("READY=1") }.count > readyBefore })
        try h.drop("after.png") { try ImageFactory.write($0, width: 20, height: 10) }
        #expect(await eventually { exists(h.outbox.appending("after.jpg")) })
        #expect(try ImageFactory.info(h.outbox.appending("after.jpg")).width == 60)

        // A broken file on reload keeps the running configuration.
        try writeFile(config, Array("scale = \"huge\"\n".utf8))
        daemon.signal(SIGHUP)
        #expect(await eventually { daemon.log.contains("reload failed") })
        try h.drop("still.png") { try ImageFactory.write($0, width: 20, height: 10) }
        #expect(await eventually { exists(h.outbox.appending("still.jpg")) })
        #expect(await h.stop() == 0)
    }

    /// A SIGHUP that comes while the daemon is still starting (or the instant READY=1 is out,
    /// before the reload service listens) must become a reload, not end the daemon (SIGHUP's
    /// default action).
    @Test func aReloadDuringStartUpIsKeptNotFatal() async throws {
        for _ in 0..<3 {
            let h = try DaemonHarness()
            try FileManager.default.createDirectory(atPath: h.inbox.string, withIntermediateDirectories: true)
            for i in 0..<200 { try writeFile(h.inbox.appending("not-yet-\(i).txt"), []) }    // a longer start-up scan
            let daemon = try await h.start(waitForReady: false)
            #expect(await eventually { daemon.log.contains("upscaled starting") })
            daemon.signal(SIGHUP)
            #expect(await h.socket.waitFor { $0.contains("READY=1") } != nil)
            #expect(await eventually { daemon.log.contains("configuration reloaded") }, "\(daemon.log.suffix(500))")
            #expect(daemon.process.isRunning)
            #expect(await h.stop() == 0)
        }
    }

    @Test func badConfigurationIsOneClearLineAndExit78() async throws {
        let home = TempDirectory()
        let config = home.path.appending("bad.toml")
        try writeFile(config, Array("scael = 2\n".utf8))
        let (status, output) = try await runUpscaled(["run", "--config", config.string, "--root", home.path.appending("r").string],
                                                     home: home.path)
        #expect(status == 78)
        #expect(output.contains("unknown key 'scael'"))
        #expect(output.split(separator: "\n").count == 1, "\(output)")

        let (flagStatus, flagOutput) = try await runUpscaled(["run", "--scale", "2", "--width", "100"], home: home.path)
        #expect(flagStatus != 0)
        #expect(flagOutput.contains("only one of --scale, --width and --height"))

        let (rangeStatus, rangeOutput) = try await runUpscaled(["run", "--scale", "12", "--root", home.path.string], home: home.path)
        #expect(rangeStatus == 78)
        #expect(rangeOutput.contains("scale 12.0 is out of range"))

        let (missingStatus, missingOutput) = try await runUpscaled(["run", "--config", "/nonexistent.toml"], home: home.path)
        #expect(missingStatus == 78)
        #expect(missingOutput.contains("/nonexistent.toml"))
    }

    @Test func aRootThatCannotBeCreatedIsAClearError() async throws {
        let home = TempDirectory()
        try writeFile(home.path.appending("afile"), [1])
        let (status, output) = try await runUpscaled(["run", "--root", home.path.appending("afile/root").string], home: home.path)
        #expect(status == 78)
        #expect(output.contains("afile/root"))
    }

    @Test func statusReportsWhatTheDaemonIsDoing() async throws {
        let h = try DaemonHarness()
        try await h.start()
        try h.drop("one.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("one.png")) })
        let wanted = await eventually {
            let status = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(readFile(h.statusFile)))
            return status?.done == 1 && status?.state == .idle
        }
        #expect(wanted)
        let (code, text) = try await runUpscaled(["status", "--root", h.root.string, "--host-id", DaemonHarness.hostID], home: h.home.path)
        #expect(code == 0)
        #expect(text.contains("running"))
        #expect(text.contains("done:        1"))
        let (jsonCode, json) = try await runUpscaled(["status", "--json", "--root", h.root.string, "--host-id", DaemonHarness.hostID], home: h.home.path)
        #expect(jsonCode == 0)
        let snapshot = try JSONDecoder().decode(StatusSnapshot.self, from: Data(json.utf8))
        #expect(snapshot.done == 1 && snapshot.mode == "inotify" && snapshot.engine == "local")
        #expect(await h.stop() == 0)
        let (stoppedCode, stopped) = try await runUpscaled(["status", "--root", h.root.string, "--host-id", DaemonHarness.hostID], home: h.home.path)
        #expect(stoppedCode == 0)
        #expect(stopped.contains("not running"))
    }

    @Test func upscaleOneFileInTheForeground() async throws {
        let home = TempDirectory()
        try ImageFactory.write(home.path.appending("in.jpg"), width: 50, height: 40)
        let (status, output) = try await runUpscaled(["upscale", home.path.appending("in.jpg").string, "--scale", "4"], home: home.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains("in-upscaled.png"))
        #expect(try ImageFactory.info(home.path.appending("in-upscaled.png")).width == 200)
        let out = home.path.appending("explicit.webp")
        let (second, _) = try await runUpscaled(["upscale", home.path.appending("in.jpg").string, out.string], home: home.path)
        #expect(second == 0)
        #expect(try ImageFactory.info(out).loader.hasPrefix("webp"))
        let (again, refused) = try await runUpscaled(["upscale", home.path.appending("in.jpg").string, out.string], home: home.path)
        #expect(again == 1)
        #expect(refused.contains("already exists"))
        let (bad, badOutput) = try await runUpscaled(["upscale", home.path.appending("missing.jpg").string], home: home.path)
        #expect(bad == 1)
        #expect(badOutput.contains("does not exist"))
    }
}

@Suite struct MetricsTests {
    @Test func prometheusTextfileMetricsAreWrittenWhenAsked() async throws {
        let h = try DaemonHarness()
        let textfile = h.home.path.appending("upscaled.prom")
        let config = h.home.path.appending("m.toml")
        try writeFile(config, Array("engine = \"local\"\nmetrics_textfile = \"\(textfile.string)\"\n".utf8))
        try await h.start(["--config", config.string])
        try h.drop("m.png") { try ImageFactory.write($0) }
        try h.drop("bad.png") { try writeFile($0, Array("text".utf8)) }
        let written = await eventually {
            let text = (try? String(contentsOfFile: textfile.string, encoding: .utf8)) ?? ""
            return text.contains(#"upscaled_files_total{outcome="done",engine="local"} 1"#)
                && text.contains(#"upscaled_files_total{outcome="failed",engine="local"} 1"#)
        }
        let text = (try? String(contentsOfFile: textfile.string, encoding: .utf8)) ?? ""
        #expect(written, "\(text)")
        #expect(text.contains("# TYPE upscaled_job_duration_seconds histogram"))
        #expect(text.contains("upscaled_queue_depth"))
        #expect(await h.stop() == 0)
    }

    @Test func noMetricsFileByDefault() async throws {
        let h = try DaemonHarness()
        try await h.start()
        try h.drop("n.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("n.png")) })
        #expect(await h.stop() == 0)
        #expect(!listFiles(h.home.path).contains { $0.hasSuffix(".prom") })
    }

    /// Idle must cost nothing: libdispatch's worker pool, once started, wakes the process every
    /// second for good (a monitor timer), so the daemon must never start it. After a job, a
    /// quiet-window wait (Task.sleep), a reload and SIGINT, no Dispatch worker thread exists.
    @Test func noDispatchWorkerPoolEverStarts() async throws {
        let h = try DaemonHarness()
        let daemon = try await h.start()
        try h.drop("d.png") { try ImageFactory.write($0) }
        try writeFile(h.inbox.appending("written.png"), try { let p = h.home.path.appending("w.png"); try ImageFactory.write(p); return try readFile(p) }())
        #expect(await eventually { exists(h.archive.appending("d.png")) && exists(h.archive.appending("written.png")) })
        daemon.signal(SIGHUP)
        #expect(await eventually { daemon.log.contains("configuration reloaded") })
        let threads = threadNames(of: daemon.pid)
        #expect(!threads.isEmpty)
        // libdispatch names its pool threads after their root queues ("com.apple.root.…qos…").
        #expect(!threads.contains { $0.contains("qos") || $0.contains("dispatch") }, "\(threads)")
        daemon.signal(SIGINT)
        #expect(await daemon.waitForExit() == 0)        // SIGINT stops as gracefully as SIGTERM
        #expect(daemon.log.contains("stopped: done 2"))
    }

    private func threadNames(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }.sorted()
    }
}
