import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledTestSupport

extension RealSystemdTests {
    /// The NAS template, unchanged, run by the (root) user manager as the instance of the user
    /// running the tests, with exactly the per-instance drop-in README and the unit describe
    /// (root, ReadWritePaths=, RequiresMountsFor=); only ExecStart= (the built binary) and the
    /// config path differ. Every sandboxing setting is applied for real, so this proves the
    /// daemon works under them: ProtectSystem=strict, SystemCallFilter=@system-service,
    /// MemoryDenyWriteExecute=yes (libvips decoders and encoders included), RestrictAddressFamilies=...
    @Test("the hardened system template runs the daemon with its sandbox in force")
    func hardenedTemplateWorks() async throws {
        try await withUserManager { manager in
            let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
            let unit = "upscaled@\(user).service"
            let base = manager.directory
            let root = base.appending("nas/Upscale")
            let config = base.appending("etc/\(user).toml")
            let log = base.appending("daemon.log")
            // The built binary may live under /root or /home, which ProtectHome= hides: a copy.
            let binary = base.appending("bin/upscaled")
            try FileManager.default.createDirectory(atPath: base.appending("bin").string, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: DaemonProcess.binary, toPath: binary.string)
            try FileManager.default.createDirectory(atPath: root.string, withIntermediateDirectories: true)
            try writeText(config, "quiet_window_ms = 200\n")

            try manager.install(Units.systemTemplate)
            try manager.dropIn(unit, "root", """
                [Unit]
                RequiresMountsFor=\(root.string)
                [Service]
                Environment=UPSCALED_ROOT=\(root.string)
                ReadWritePaths=\(root.string)
                """)
            try manager.dropIn(unit, "test", """
                [Unit]
                AssertPathExists=
                [Service]
                ExecStart=
                ExecStart=\(binary.string) run --root ${UPSCALED_ROOT} --config \(config.string)
                StandardOutput=append:\(log.string)
                StandardError=inherit
                """)
            try await manager.daemonReload()
            func diagnostics() async -> String {
                let status = (try? await manager.systemctl(["status", unit]))?.output ?? ""
                return "\(status)\ndaemon log:\n\(readText(log))"
            }

            let started = try await manager.systemctl(["start", unit])
            await explain(started.status == 0, "\(started)", diagnostics)
            let active = try await manager.property(unit, "ActiveState")
            try #require(active == "active")
            let mainPID = try await manager.property(unit, "MainPID")
            let pid = try #require(Int32(mainPID))

            // The sandbox, as the kernel sees it.
            #expect(statusField(ofProcess: pid, "NoNewPrivs") == "1")
            #expect(statusField(ofProcess: pid, "Seccomp") == "2", "SystemCallFilter= is a seccomp filter")
            #expect(statusField(ofProcess: pid, "CapEff") == "0000000000000000")
            #expect(statusField(ofProcess: pid, "CapBnd") == "0000000000000000")
            let mounts = readText(FilePath("/proc/\(pid)/mountinfo")).split(separator: "\n").map { $0.split(separator: " ") }
            func options(at point: String) -> String? {
                mounts.last { $0.count > 5 && $0[4] == Substring(point) }.map { String($0[5]) }
            }
            #expect(options(at: "/")?.split(separator: ",").contains("ro") == true, "ProtectSystem=strict: / is read-only")
            #expect(options(at: root.string)?.split(separator: ",").contains("rw") == true, "ReadWritePaths= the root")
            #expect(options(at: "/tmp") != nil, "PrivateTmp=yes")

            // The daemon works inside it: every common format in, results out (libvips under
            // MemoryDenyWriteExecute= and the system call filter).
            let names = ["a.png", "b.jpg", "c.webp", "d.tif", "e.gif"]
            for name in names {
                try dropImage(name, into: root.appending("inbox"), staging: base.appending("staging"))
            }
            let done = await eventually(timeout: .seconds(60)) {
                names.allSatisfy { exists(root.appending("outbox/\(FilePath($0).stem!).png")) }
            }
            await explain(done, "not every file was filed: \(listFiles(root))", diagnostics)
            #expect(listFiles(root.appending("failed")).isEmpty, "\(listFiles(root))")

            let reloaded = try await manager.systemctl(["reload", unit])
            #expect(reloaded.status == 0, "\(reloaded)")
            let logged = await eventually(timeout: .seconds(20)) { readText(log).contains("configuration reloaded") }
            #expect(logged)

            let stopped = try await manager.systemctl(["stop", unit], timeout: .seconds(200))
            #expect(stopped.status == 0)
            let after = try await manager.properties(unit, ["Result", "ExecMainStatus"])
            await explain(after["Result"] == "success", "\(after)", diagnostics)
            #expect(after["ExecMainStatus"] == "0", "\(after)")

            // README's optional drop-in for the local engine only (no network at all) keeps it working.
            try manager.dropIn(unit, "local-only", """
                [Service]
                PrivateNetwork=yes
                RestrictAddressFamilies=
                RestrictAddressFamilies=AF_UNIX
                """)
            try await manager.daemonReload()
            let restarted = try await manager.systemctl(["start", unit])
            await explain(restarted.status == 0, "with PrivateNetwork=yes: \(restarted)", diagnostics)
            let families = try await manager.property(unit, "RestrictAddressFamilies")
            #expect(families == "AF_UNIX", "\(families)")
            try dropImage("offline.png", into: root.appending("inbox"), staging: base.appending("staging"))
            let offline = await eventually(timeout: .seconds(30)) { exists(root.appending("outbox/offline.png")) }
            await explain(offline, "nothing filed without a network", diagnostics)
        }
    }
}
