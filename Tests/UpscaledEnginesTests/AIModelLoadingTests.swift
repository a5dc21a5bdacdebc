import Foundation
import SystemPackage
import Testing
import UpscaledCore
import UpscaledEngines
import UpscaledTestSupport

/// Everything that can be wrong with a model file is found when it loads, named by path.
@Suite struct AIModelLoadingTests {
    static let installed = AIModelCatalog.searchDirectories.first {
        FileManager.default.fileExists(atPath: $0 + "/realesr-animevideov3-x4.bin")
    } ?? "/usr/local/share/upscaled/models"

    /// A models folder of our own with copies of the animevideov3 files, to damage.
    func copiedModels() throws -> TempDirectory {
        let temp = TempDirectory()
        for scale in [2, 3, 4] {
            for ext in ["param", "bin"] {
                let name = "realesr-animevideov3-x\(scale).\(ext)"
                try FileManager.default.copyItem(atPath: Self.installed + "/" + name, toPath: temp.appending(name).string)
            }
        }
        return temp
    }

    func load(_ change: (inout AIConfig) -> Void) throws(AIModelError) -> AIModelSet {
        var config = AIConfig()
        change(&config)
        return try AIModelSet(config: config, threads: 1)
    }

    @Test func theBuiltInModelsLoadWithTheirFactors() throws {
        let compact = try load { $0.modelsDirectory = Self.installed }
        #expect(compact.scales == [2, 3, 4] && compact.family == .compact)
        let anime = try load { $0.modelsDirectory = Self.installed; $0.model = "realesrgan-x4plus-anime" }
        #expect(anime.scales == [4] && anime.family == .rrdb)
    }

    @Test func aMissingModelNamesWhereItLooked() throws {
        let empty = TempDirectory()
        #expect(throws: AIModelError.missing(file: "realesr-animevideov3-x2.param", searched: [empty.path.string])) {
            try load { $0.modelsDirectory = empty.path.string }
        }
    }

    @Test func aDamagedWeightFileIsCaughtByItsChecksum() throws {
        let models = try copiedModels()
        let bin = models.appending("realesr-animevideov3-x3.bin")
        var bytes = try readFile(bin)
        bytes[bytes.count / 2] ^= 0x40                      // one flipped bit, same size
        try writeFile(bin, bytes)
        do {
            _ = try load { $0.modelsDirectory = models.path.string }
            Issue.record("a damaged model loaded")
        } catch {
            guard case .corrupt(let path, _, _) = error else { Issue.record("\(error)"); return }
            #expect(path == bin.string)
            #expect(error.description.contains(bin.string) && error.description.contains("install-models"))
        }
    }

    @Test func aUserModelWithTheWrongBinIsAMismatch() throws {
        let models = try copiedModels()
        // Own models are not checksummed: ncnn's own accounting must catch a truncated .bin.
        let bin = models.appending("realesr-animevideov3-x4.bin")
        let bytes = try readFile(bin)
        try writeFile(bin, Array(bytes.prefix(bytes.count - 4096)))
        let base = models.appending("realesr-animevideov3-x4").string
        #expect(throws: AIModelError.self) { try load { $0.modelPath = base; $0.modelScale = 4 } }
        do { _ = try load { $0.modelPath = base; $0.modelScale = 4 } } catch {
            guard case .mismatch = error else { Issue.record("\(error)"); return }
        }
        // ...and a .bin with bytes to spare is not the .param's either.
        try writeFile(bin, bytes + [UInt8](repeating: 0, count: 4096))
        do { _ = try load { $0.modelPath = base; $0.modelScale = 4 } ; Issue.record("a padded .bin loaded") } catch {
            guard case .mismatch(_, let b, _) = error else { Issue.record("\(error)"); return }
            #expect(b == base + ".bin")
        }
    }

    @Test func aParamThatIsNotNcnnIsRefused() throws {
        let models = try copiedModels()
        try writeFile(models.appending("mine.param"), Array("this is not a network\n".utf8))
        try FileManager.default.copyItem(atPath: models.appending("realesr-animevideov3-x4.bin").string,
                                         toPath: models.appending("mine.bin").string)
        #expect(throws: AIModelError.badParam(path: models.appending("mine.param").string)) {
            try load { $0.modelPath = models.appending("mine").string; $0.modelScale = 4 }
        }
    }

    @Test func aUserModelIsCheckedForTheFactorItClaims() throws {
        let models = try copiedModels()
        let base = models.appending("realesr-animevideov3-x2").string
        let ok = try load { $0.modelPath = base; $0.modelScale = 2 }
        #expect(ok.scales == [2] && ok.name == "realesr-animevideov3-x2")
        do { _ = try load { $0.modelPath = base; $0.modelScale = 4 }; Issue.record("a wrong factor was accepted") } catch {
            guard case .unusable(_, let detail) = error else { Issue.record("\(error)"); return }
            #expect(detail.contains("2x, not 4x"))
        }
    }
}
