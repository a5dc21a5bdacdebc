import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledTestSupport

/// `systemd-analyze verify` and `security` on the shipped unit files.
@Suite("unit files", .enabled(if: findExecutable("systemd-analyze") != nil, "needs systemd-analyze"))
struct UnitFileTests {
    /// verify checks that ExecStart='s program exists and that every Documentation=man: page
    /// can be found, so it gets copies whose only change is /usr/bin/upscaled → the built
    /// binary, and MANPATH pointing at packaging/man laid out as man1/ and man5/.
    struct Staged {
        let folder = TempDirectory("upscaled-verify")
        var units: FilePath { folder.appending("units") }
        var man: FilePath { folder.appending("man") }
        var runtime: FilePath { folder.appending("runtime") }

        init(binary: String = DaemonProcess.binary, manPages: FilePath = repositoryRoot.appending("packaging/man")) throws {
            for path in [units, man.appending("man1"), man.appending("man5"), runtime] {
                try FileManager.default.createDirectory(atPath: path.string, withIntermediateDirectories: true)
            }
            chmod(runtime.string, 0o700)
            for unit in [Units.user, Units.systemTemplate] {
                let text = readText(unit).replacingOccurrences(of: "/usr/bin/upscaled", with: binary)
                try writeText(units.appending(unit.lastComponent!.string), text)
            }
            try FileManager.default.copyItem(atPath: manPages.appending("upscaled.1").string,
                                             toPath: man.appending("man1/upscaled.1").string)
            try FileManager.default.copyItem(atPath: manPages.appending("upscaled.toml.5").string,
                                             toPath: man.appending("man5/upscaled.toml.5").string)
        }

        var environment: [String: String] {
            ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
             "MANPATH": man.string, "XDG_RUNTIME_DIR": runtime.string, "SYSTEMD_COLORS": "0"]
        }
    }

    static let analyze = findExecutable("systemd-analyze") ?? "systemd-analyze"

    @Test("systemd-analyze verify passes for the user unit and the system template")
    func verify() async throws {
        try await HostPreparation.around { try await verifyStaged() }
    }

    private func verifyStaged() async throws {
        let staged = try Staged()
        let system = try await runCommand(Self.analyze, ["verify", staged.units.appending("upscaled@.service").string],
                                          environment: staged.environment)
        #expect(system.status == 0 && system.error.isEmpty && system.output.isEmpty, "\(system)")
        let user = try await runCommand(Self.analyze, ["--user", "verify", staged.units.appending("upscaled.service").string],
                                        environment: staged.environment)
        #expect(user.status == 0 && user.error.isEmpty && user.output.isEmpty, "\(user)")
    }

    @Test("the units differ from the repository's only in the binary's path")
    func stagedCopiesAreFaithful() throws {
        let staged = try Staged(binary: "/usr/bin/upscaled")
        #expect(readText(staged.units.appending("upscaled.service")) == readText(Units.user))
        #expect(readText(staged.units.appending("upscaled@.service")) == readText(Units.systemTemplate))
    }

    @Test("systemd-analyze security rates the system template OK or better (exposure below 2.0)")
    func securityScore() async throws {
        try await HostPreparation.around { try await rateStaged() }
    }

    private func rateStaged() async throws {
        let staged = try Staged()
        let rated = try await runCommand(Self.analyze, ["security", "--offline=yes", "--no-pager",
                                                        staged.units.appending("upscaled@.service").string],
                                         environment: staged.environment)
        let line = try #require(rated.output.split(separator: "\n").last { $0.contains("Overall exposure level") },
                                "\(rated)")
        // "→ Overall exposure level for upscaled@i.service: 1.2 OK 🙂"
        let words = line.split(separator: " ")
        let index = try #require(words.firstIndex { Double($0) != nil }, "\(line)")
        let exposure = try #require(Double(words[index]))
        let level = index + 1 < words.count ? String(words[index + 1]) : ""
        #expect(exposure < 2.0, "\(line)")
        #expect(["OK", "SAFE", "PERFECT"].contains(level), "\(line)")
        // README's NAS section records the score; keep it honest.
        let readme = readText(repositoryRoot.appending("README.md"))
        #expect(readme.contains("\(String(format: "%.1f", exposure)) \(level)"),
                "README.md should record the current score: \(String(format: "%.1f", exposure)) \(level)")
    }

    @Test("the user unit's security settings are accepted by a user manager")
    func userUnitHardeningIsUserSafe() throws {
        // A user manager without privileges cannot set up mount namespaces: the user unit must
        // not ask for them (or it would fail for every non-root user).
        let text = readText(Units.user)
        for forbidden in ["ProtectSystem=", "ProtectHome=", "PrivateTmp=", "PrivateDevices=", "ReadWritePaths=",
                          "CapabilityBoundingSet=", "User="] {
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix(forbidden) }, "\(forbidden) in the user unit")
        }
    }
}
