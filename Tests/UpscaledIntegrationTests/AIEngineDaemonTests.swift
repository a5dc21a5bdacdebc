import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The AI engine inside the real daemon: the default engine, a model that cannot load, a stop in
/// the middle of a long job, progress in the status, a reload that changes the model.
@Suite(.serialized) struct AIEngineDaemonTests {
    static let models = AIModelCatalog.searchDirectories.first {
        FileManager.default.fileExists(atPath: $0 + "/realesr-animevideov3-x4.bin")
    } ?? "/usr/local/share/upscaled/models"

    /// A copy of the animevideov3 files, so a test can damage them.
    func copiedModels(into directory: FilePath) throws {
        try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
        for scale in [2, 3, 4] {
            for ext in ["param", "bin"] {
                let name = "realesr-animevideov3-x\(scale).\(ext)"
                try FileManager.default.copyItem(atPath: Self.models + "/" + name, toPath: directory.appending(name).string)
            }
        }
    }

    @Test func theDefaultEngineIsTheAIEngine() async throws {
        let home = TempDirectory()
        let root = home.path.appending("r")
        try FileManager.default.createDirectory(atPath: root.appending("inbox").string, withIntermediateDirectories: true)
        try RealImages.variant(of: "chelsea.png", to: root.appending("inbox/cat.png"), crop: (150, 60, 90, 60))
        let (status, output) = try await runUpscaled(["run", "--once", "--root", root.string], home: home.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains("engine=ai"))
        #expect(try ImageFactory.info(root.appending("outbox/cat.png")).width == 180)
        #expect(exists(root.appending("archive/cat.png")))
    }

    @Test func aDamagedModelStopsTheStartWithItsPath() async throws {
        let home = TempDirectory()
        let models = home.path.appending("models")
        try copiedModels(into: models)
        let bin = models.appending("realesr-animevideov3-x2.bin")
        try writeFile(bin, Array(try readFile(bin).dropLast(100)))
        let config = home.path.appending("c.toml")
        try writeFile(config, Array("[ai]\nmodels_dir = \"\(models.string)\"\n".utf8))
        let root = home.path.appending("r")
        try FileManager.default.createDirectory(atPath: root.appending("inbox").string, withIntermediateDirectories: true)
        try ImageFactory.write(root.appending("inbox/a.png"))
        let (status, output) = try await runUpscaled(["run", "--config", config.string, "--root", root.string], home: home.path)
        #expect(status == 78, "\(output)")
        #expect(output.contains(bin.string) && output.contains("damaged"), "\(output)")
        // Nothing was touched: the file waits in the inbox for a working model.
        #expect(listFiles(root.appending("inbox")) == ["a.png"])
        #expect(!exists(root.appending("failed/a.png")))
        // A missing folder says where it looked.
        try writeFile(config, Array("[ai]\nmodels_dir = \"/nonexistent/models\"\n".utf8))
        let (missing, missingOutput) = try await runUpscaled(["upscale", root.appending("inbox/a.png").string, "--config", config.string],
                                                             home: home.path)
        #expect(missing == 78 && missingOutput.contains("/nonexistent/models"), "\(missingOutput)")
    }

    @Test func aStopInTheMiddleOfAJobPutsTheFileBackUnderItsName() async throws {
        let h = try DaemonHarness()
        let config = h.home.path.appending("c.toml")
        // 256 tiles of 32 px: long enough to be stopped in the middle, with progress to show.
        try writeFile(config, Array("engine = \"ai\"\nscale = 2\n[ai]\ntile_size = 32\nthreads = 1\n".utf8))
        let daemon = try await h.start(["--config", config.string])
        try h.drop("space walk.png") { try FileManager.default.copyItem(atPath: try RealImages.path("astronaut.png").string, toPath: $0.string) }
        let statusFile = h.statusFile
        let progressed = await eventually(timeout: .seconds(60)) {
            guard let bytes = try? readFile(statusFile),
                  let snapshot = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(bytes)),
                  let job = snapshot.progress?.first else { return false }
            return job.file == "space walk.png" && job.total == 256 && job.done >= 2 && job.done < 256
        }
        #expect(progressed, "\(daemon.log)")
        #expect(h.socket.received.contains { $0.contains("space walk.png") && $0.contains("/256 tiles") })
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
        #expect(listFiles(h.inbox) == ["space walk.png"], "\(h.everything)")
        #expect(listFiles(h.outbox).isEmpty && listFiles(h.failed).isEmpty)
        #expect(listFiles(h.claims).isEmpty && listFiles(h.journal).isEmpty)
        #expect(daemon.log.contains("stopped between tiles"), "\(daemon.log)")
        // The next start does it whole, and the status forgets the finished job's progress.
        try await h.restart()
        #expect(await eventually(timeout: .seconds(120)) { exists(h.outbox.appending("space walk.png")) })
        #expect(try ImageFactory.info(h.outbox.appending("space walk.png")).width == 1024)
        #expect(await eventually {
            guard let bytes = try? readFile(statusFile),
                  let snapshot = try? JSONDecoder().decode(StatusSnapshot.self, from: Data(bytes)) else { return false }
            return snapshot.done == 1 && snapshot.progress == nil
        })
        #expect(await h.stop() == 0)
    }

    @Test func aReloadToABrokenModelKeepsTheRunningOne() async throws {
        let h = try DaemonHarness()
        let models = h.home.path.appending("models")
        try copiedModels(into: models)
        let config = h.home.path.appending("c.toml")
        try writeFile(config, Array("engine = \"ai\"\n[ai]\nmodels_dir = \"\(models.string)\"\n".utf8))
        let daemon = try await h.start(["--config", config.string])
        try h.drop("one.png") { try ImageFactory.write($0, width: 40, height: 30) }
        #expect(await eventually { exists(h.outbox.appending("one.png")) })
        // The user points the engine at their own model, but its .bin is not the .param's.
        try writeFile(models.appending("mine.param"), try readFile(models.appending("realesr-animevideov3-x4.param")))
        try writeFile(models.appending("mine.bin"), Array(try readFile(models.appending("realesr-animevideov3-x4.bin")).prefix(5000)))
        try writeFile(config, Array("engine = \"ai\"\n[ai]\nmodel_path = \"\(models.appending("mine").string)\"\nmodel_scale = 4\n".utf8))
        daemon.signal(SIGHUP)
        #expect(await eventually { daemon.log.contains("reload failed") && daemon.log.contains("mine.bin") }, "\(daemon.log)")
        try h.drop("two.png") { try ImageFactory.write($0, width: 40, height: 30) }
        #expect(await eventually { exists(h.outbox.appending("two.png")) })
        #expect(try ImageFactory.info(h.outbox.appending("two.png")).width == 80)
        // Fixed: the reload takes the user's model (4x only, so 2x is the network's 4x, finished by libvips).
        try writeFile(models.appending("mine.bin"), try readFile(models.appending("realesr-animevideov3-x4.bin")))
        daemon.signal(SIGHUP)
        #expect(await eventually { daemon.log.components(separatedBy: "configuration reloaded").count >= 2 }, "\(daemon.log)")
        try h.drop("three.png") { try ImageFactory.write($0, width: 40, height: 30) }
        #expect(await eventually { exists(h.outbox.appending("three.png")) })
        #expect(try ImageFactory.info(h.outbox.appending("three.png")).width == 80)
        #expect(h.socket.received.contains { $0.contains("mine") })
        #expect(await h.stop() == 0)
    }
}
