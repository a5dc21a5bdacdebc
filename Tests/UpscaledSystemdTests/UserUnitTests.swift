import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledTestSupport

/// The units under a real `systemd --user` (see Support/UserManager.swift): what the unit files
/// promise, checked against the built daemon. One manager per test; the tests run one at a
/// time because they share the machine's /run/systemd.
@Suite("systemd units under a real user manager", .serialized,
       .enabled(if: getuid() == 0, "needs root: a real systemd user manager with sandboxing"))
struct RealSystemdTests {
    // MARK: the user unit

    @Test("start returns only after READY=1; status shows STATUS=; a dropped file is upscaled")
    func startWaitsForReadiness() async throws {
        try await withUserManager { manager in
            let service = try await UserService(manager: manager)
            let started = try await service.start()
            #expect(started.status == 0, "\(started)")

            // Type=notify: `systemctl start` returned, so READY=1 has arrived and the unit is
            // active, with the daemon's own STATUS= line.
            let state = try await manager.properties(UserService.unit,
                                                     ["ActiveState", "SubState", "StatusText", "Type", "NotifyAccess", "WatchdogUSec"])
            await explain(state["ActiveState"] == "active", "not active after start: \(state)", service.diagnostics)
            #expect(state["SubState"] == "running")
            #expect(state["Type"] == "notify")
            #expect(state["NotifyAccess"] == "main")
            #expect(state["WatchdogUSec"] == "30s")
            #expect(state["StatusText"]?.hasPrefix("idle: 0 queued, 0 working") == true, "\(state)")
            #expect(service.log.contains("ready: "), "\(service.log)")

            let status = try await manager.systemctl(["status", UserService.unit])
            #expect(status.output.contains("Status: \"idle: 0 queued, 0 working"), "\(status)")

            try dropImage("holiday.png", into: service.inbox, staging: manager.directory.appending("staging"))
            let result = service.outbox.appending("holiday.png")
            let filed = await eventually(timeout: .seconds(30)) { exists(result) && exists(service.archive.appending("holiday.png")) }
            await explain(filed, "holiday.png was not filed: \(listFiles(service.root))", service.diagnostics)
            if filed {
                let info = try ImageFactory.info(result)
                #expect(info.width == 128 && info.height == 96)
            }
            let counted = try await service.waitFor("StatusText") { $0.contains("done 1,") }
            #expect(counted.met, "STATUS= never said done 1: \(counted.value)")
        }
    }

    @Test("reload (ExecReload= SIGHUP) re-reads the configuration; the daemon stays up")
    func reloadRereadsConfiguration() async throws {
        try await withUserManager { manager in
            let service = try await UserService(manager: manager)
            try writeText(service.configFile, "scale = 2\n")
            let started = try await service.start()
            try #require(started.status == 0, "\(started)")
            let pid = try await service.property("MainPID")

            try writeText(service.configFile, "scale = 3\n")
            let reloaded = try await manager.systemctl(["reload", UserService.unit])
            #expect(reloaded.status == 0, "\(reloaded)")
            let logged = await eventually(timeout: .seconds(20)) { service.log.contains("configuration reloaded") }
            await explain(logged, "no 'configuration reloaded' in the log", service.diagnostics)
            let active = try await service.waitFor("SubState") { $0 == "running" }
            #expect(active.met, "after reload: \(active.value)")
            let activeState = try await service.property("ActiveState")
            #expect(activeState == "active")
            let pidAfter = try await service.property("MainPID")
            #expect(pidAfter == pid, "a reload must not restart the daemon")

            try dropImage("after-reload.png", into: service.inbox, staging: manager.directory.appending("staging"))
            let result = service.outbox.appending("after-reload.png")
            let filed = await eventually(timeout: .seconds(30)) { exists(result) }
            await explain(filed, "after-reload.png was not filed", service.diagnostics)
            if exists(result) {
                let info = try ImageFactory.info(result)
                #expect(info.width == 192 && info.height == 144, "the reloaded scale (3) applies")
            }
        }
    }

    @Test("stop during an AI job (the default engine) ends it between tiles: the file is back in the inbox, exit 0, at once")
    func stopEndsAnAIJobBetweenTiles() async throws {
        try await withUserManager { manager in
            let service = try await UserService(manager: manager)
            try writeText(service.configFile, "scale = 4\n[ai]\ntile_size = 32\nthreads = 1\n")
            let started = try await service.start()
            try #require(started.status == 0, "\(started)")
            // A real photograph: 512x512 at 4x in 256 tiles of 32 px, at least ten seconds of work.
            let staging = manager.directory.appending("staging")
            try FileManager.default.createDirectory(atPath: staging.string, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: try RealImages.path("astronaut.png").string,
                                             toPath: staging.appending("moon walk.png").string)
            #expect(rename(staging.appending("moon walk.png").string, service.inbox.appending("moon walk.png").string) == 0)
            let progressing = try await service.waitFor("StatusText", timeout: .seconds(60)) { $0.contains("/256 tiles") }
            await explain(progressing.met, "STATUS= never showed the tiles: \(progressing.value)", service.diagnostics)
            try #require(progressing.met)

            let clock = ContinuousClock()
            let began = clock.now
            let stopped = try await manager.systemctl(["stop", UserService.unit], timeout: .seconds(200))
            let took = clock.now - began
            #expect(stopped.status == 0, "\(stopped)")
            let after = try await manager.properties(UserService.unit, ["ActiveState", "Result", "ExecMainStatus"])
            await explain(after["Result"] == "success", "a stop that needed SIGKILL or failed: \(after)", service.diagnostics)
            #expect(after["ExecMainStatus"] == "0", "\(after)")
            // Not finished, not lost: the photo waits in the inbox under its own name.
            #expect(listFiles(service.inbox) == ["moon walk.png"], "\(listFiles(service.root))")
            #expect(listFiles(service.outbox).isEmpty && listFiles(service.root.appending("failed")).isEmpty)
            #expect(service.log.contains("stopped between tiles"), "\(service.log)")
            // One tile at most, not the whole job (about a minute here).
            #expect(took < .seconds(25), "systemctl stop took \(took)")
        }
    }

    @Test("stop lets the local engine's job in flight finish, then the daemon exits 0 (Result=success)")
    func stopDrainsGracefully() async throws {
        try await withUserManager { manager in
            let service = try await UserService(manager: manager)
            try writeText(service.configFile, "engine = \"local\"\nscale = 4\n")
            let started = try await service.start()
            try #require(started.status == 0, "\(started)")

            // 3000×2000 at 4× is a 96-megapixel PNG: a job that lasts a few seconds.
            try dropImage("large.png", into: service.inbox, staging: manager.directory.appending("staging"),
                          width: 3000, height: 2000)
            let working = try await service.waitFor("StatusText", timeout: .seconds(60)) { $0.contains("1 working") }
            await explain(working.met, "the job never showed as in flight: \(working.value)", service.diagnostics)
            try #require(working.met)

            // The stop runs while this task watches for the result: promptness is the time from
            // the job's result appearing to the stop returning (the job's own time excluded).
            let clock = ContinuousClock()
            let result = service.outbox.appending("large.png")
            let stopping = Task { try await manager.systemctl(["stop", UserService.unit], timeout: .seconds(200)) }
            let deadline = clock.now + .seconds(200)
            while !exists(result) && clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let resultAppeared = clock.now
            let stopped = try await stopping.value
            let lag = clock.now - resultAppeared
            #expect(stopped.status == 0, "\(stopped)")

            let after = try await manager.properties(UserService.unit, ["ActiveState", "Result", "ExecMainStatus", "NRestarts"])
            #expect(after["ActiveState"] == "inactive", "\(after)")
            await explain(after["Result"] == "success", "a stop that needed SIGKILL or failed: \(after)", service.diagnostics)
            #expect(after["ExecMainStatus"] == "0", "\(after)")
            #expect(after["NRestarts"] == "0")

            // The job in flight was finished, not abandoned: its result and archived original.
            await explain(exists(result), "the job in flight left no result: \(listFiles(service.root))", service.diagnostics)
            #expect(exists(service.archive.appending("large.png")))
            if exists(result) {
                let info = try ImageFactory.info(result)
                #expect(info.width == 12000 && info.height == 8000)
            }
            #expect(service.log.contains("stopped: done 1"), "\(service.log)")
            // Promptness: once the job is done nothing may hold the exit back (a watchdog sleep
            // of WatchdogSec/2 that ignored the shutdown once made this up to 15 s).
            #expect(lag < .seconds(5), "systemctl stop returned \(lag) after the result appeared")
        }
    }

    @Test("a daemon that stops pinging the watchdog is killed and restarted")
    func watchdogRestartsHungDaemon() async throws {
        try await withUserManager { manager in
            // A short watchdog so the test is quick; the rest is the shipped unit.
            let service = try await UserService(manager: manager, extraDropIn: """
                [Service]
                WatchdogSec=2s
                TimeoutAbortSec=2s
                """)
            let started = try await service.start()
            try #require(started.status == 0, "\(started)")
            let watchdog = try await service.property("WatchdogUSec")
            #expect(watchdog == "2s")
            let firstPID = try await service.property("MainPID")
            let first = try #require(Int32(firstPID))
            // Pinging works: a healthy daemon outlives several watchdog periods.
            let healthy = try await service.waitFor("NRestarts", timeout: .seconds(5)) { $0 != "0" }
            await explain(!healthy.met, "a healthy daemon was restarted", service.diagnostics)

            kill(first, SIGSTOP)                               // hung: no more WATCHDOG=1
            let noticed = try await service.waitFor("Result", timeout: .seconds(20)) { $0 == "watchdog" }
            #expect(noticed.met, "Result=\(noticed.value)")
            let restarted = try await service.waitFor("NRestarts", timeout: .seconds(40)) { $0 == "1" }
            await explain(restarted.met, "NRestarts=\(restarted.value)", service.diagnostics)
            let running = try await service.waitFor("SubState", timeout: .seconds(30)) { $0 == "running" }
            #expect(running.met)
            let second = try await service.property("MainPID")
            #expect(second != "0" && second != String(first), "MainPID \(first) → \(second)")
            #expect(kill(first, 0) == -1 && errno == ESRCH, "the hung daemon is gone")
        }
    }

    @Test("Restart=on-failure brings the daemon back after SIGKILL")
    func restartsAfterKill() async throws {
        try await withUserManager { manager in
            let service = try await UserService(manager: manager)
            let started = try await service.start()
            try #require(started.status == 0, "\(started)")
            let firstPID = try await service.property("MainPID")
            let first = try #require(Int32(firstPID))
            kill(first, SIGKILL)
            let restarted = try await service.waitFor("NRestarts", timeout: .seconds(30)) { $0 == "1" }
            await explain(restarted.met, "NRestarts=\(restarted.value)", service.diagnostics)
            let running = try await service.waitFor("SubState", timeout: .seconds(30)) { $0 == "running" }
            #expect(running.met, "SubState=\(running.value)")
            let second = try await service.property("MainPID")
            #expect(second != "0" && second != String(first))
            // The new daemon works: it files a new drop.
            try dropImage("again.png", into: service.inbox, staging: manager.directory.appending("staging"))
            let filed = await eventually(timeout: .seconds(30)) { exists(service.outbox.appending("again.png")) }
            await explain(filed, "the restarted daemon did not file again.png", service.diagnostics)
        }
    }

    @Test("a bad configuration (exit 78) fails the start and is not restarted")
    func badConfigurationIsNotRestarted() async throws {
        try await withUserManager { manager in
            let service = try await UserService(manager: manager)
            try writeText(service.configFile, "scale = 99\n")
            let started = try await service.start()
            #expect(started.status != 0, "\(started)")
            let state = try await manager.properties(UserService.unit, ["ActiveState", "SubState", "ExecMainStatus", "NRestarts", "Result"])
            // RestartPreventExitStatus=78: no auto-restart is even scheduled.
            #expect(state["ActiveState"] == "failed", "\(state)")
            #expect(state["SubState"] == "failed", "\(state)")
            #expect(state["ExecMainStatus"] == "78", "\(state)")
            #expect(state["NRestarts"] == "0")
            #expect(service.log.contains("scale 99"), "the one line names the key: \(service.log)")
        }
    }

    @Test("LoadCredential= hands the daemon the API key file; EnvironmentFile= is read when present")
    func credentialsAreDelivered() async throws {
        try await withUserManager { manager in
            let key = manager.directory.appending("stability-api-key")
            try writeText(key, "sk-test-credential-0123456789\n")
            chmod(key.string, 0o600)
            // What the unit's comment tells users to add with `systemctl --user edit upscaled`.
            let service = try await UserService(manager: manager, extraDropIn: """
                [Service]
                LoadCredential=stability-api-key:\(key.string)
                """)
            try writeText(service.environmentFile, "UPSCALED_TEST_FROM_ENV_FILE=yes\n")
            let started = try await service.start()
            try #require(started.status == 0, "\(started)")
            let mainPID = try await service.property("MainPID")
            let pid = try #require(Int32(mainPID))

            let env = environment(ofProcess: pid)
            #expect(env["UPSCALED_TEST_FROM_ENV_FILE"] == "yes", "EnvironmentFile=-%E/upscaled/upscaled.env")
            let directory = try #require(env["CREDENTIALS_DIRECTORY"], "no CREDENTIALS_DIRECTORY in \(env.keys.sorted())")
            // The credential lives in the unit's own mount (read it through the process's root).
            let delivered = FilePath("/proc/\(pid)/root").appending(String(directory.dropFirst())).appending("stability-api-key")
            #expect(readText(delivered) == "sk-test-credential-0123456789\n", "\(delivered)")
            var st = stat()
            #expect(stat(delivered.string, &st) == 0)
            #expect(st.st_mode & 0o077 == 0, "readable by its owner only: \(String(st.st_mode, radix: 8))")
            #expect(env["STABILITY_API_KEY"] == nil, "the credential is not in the environment")
        }
    }
}
