import SystemPackage
import Testing
import UpscaledCore
import UpscaledEngines
import UpscaledLinux
import UpscaledTestSupport

/// The local engine on real images made by libvips.
@Suite struct LocalEngineTests {
    func engine(_ change: (inout DaemonConfig) -> Void = { _ in }) throws -> LocalEngine {
        var config = DaemonConfig(root: "/unused")
        change(&config)
        return try LocalEngine(settings: LocalEngineSettings(config: config), threads: 1)
    }

    /// Runs the engine on `input` and commits the result as `name` in `temp`.
    func upscale(_ engine: LocalEngine, _ input: FilePath, format: ImageFormat, to output: ImageFormat = .png,
                 target: UpscaleTarget = .scale(2), in temp: TempDirectory, name: String = "out")
        async throws(UpscaleFailure) -> (UpscaleResult, FilePath)
    {
        let file = try! TempFile.create(in: temp.path)
        defer { file.close(committed: true) }
        let request = UpscaleRequest(input: input, displayName: input.lastComponent!.string, inputFormat: format,
                                     outputFormat: output, target: target)
        let result = try await engine.upscale(request, into: file)
        let path = temp.appending("\(name).\(output.fileExtension)")
        try! file.sync()
        _ = try! file.commit(as: path)
        return (result, path)
    }

    @Test func doublesAPNGAndTheResultVerifies() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("in.png"), width: 64, height: 48)
        let engine = try engine()
        let (result, path) = try await upscale(engine, temp.appending("in.png"), format: .png, in: temp)
        #expect(result.width == 128 && result.height == 96)
        let info = try ImageFactory.info(path)
        #expect(info.width == 128 && info.height == 96)
        #expect(info.loader.hasPrefix("png"))
        await engine.shutdown()
    }

    @Test(arguments: [2.0, 3.0, 8.0])
    func anyScaleFromTwoToEight(_ factor: Double) async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("in.jpg"), width: 30, height: 20)
        let engine = try engine()
        let (_, path) = try await upscale(engine, temp.appending("in.jpg"), format: .jpeg, to: .jpeg, target: .scale(factor), in: temp)
        let info = try ImageFactory.info(path)
        #expect(info.width == Int(30 * factor) && info.height == Int(20 * factor))
        await engine.shutdown()
    }

    @Test func fitsAWidth() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("in.png"), width: 300, height: 200)
        let engine = try engine()
        let (_, path) = try await upscale(engine, temp.appending("in.png"), format: .png, target: .fitWidth(1000), in: temp)
        let info = try ImageFactory.info(path)
        #expect(info.width == 1000 && info.height == 667)
        await engine.shutdown()
    }

    @Test func keepsAlphaInPNGAndFlattensItForJPEG() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("rgba.png"), bands: 4)
        try ImageFactory.write(temp.appending("greyalpha.png"), bands: 2)
        let engine = try engine()
        let (_, png) = try await upscale(engine, temp.appending("rgba.png"), format: .png, in: temp, name: "a")
        #expect(try ImageFactory.info(png).hasAlpha)
        let (_, grey) = try await upscale(engine, temp.appending("greyalpha.png"), format: .png, in: temp, name: "g")
        let greyInfo = try ImageFactory.info(grey)
        #expect(greyInfo.hasAlpha && greyInfo.bands == 2)
        let (result, jpeg) = try await upscale(engine, temp.appending("rgba.png"), format: .png, to: .jpeg, in: temp, name: "j")
        #expect(try !ImageFactory.info(jpeg).hasAlpha)
        #expect(result.notes.contains { $0.contains("flattened") })
        await engine.shutdown()
    }

    @Test func appliesEXIFOrientation() async throws {
        let temp = TempDirectory()
        // Orientation 6: stored landscape, shown portrait (rotate 90° clockwise).
        try ImageFactory.write(temp.appending("rotated.jpg"), width: 60, height: 40, orientation: 6)
        #expect(try ImageFactory.info(temp.appending("rotated.jpg")).orientation == 6)
        let engine = try engine()
        let (result, path) = try await upscale(engine, temp.appending("rotated.jpg"), format: .jpeg, in: temp)
        let info = try ImageFactory.info(path)
        #expect(info.width == 80 && info.height == 120)
        #expect(info.orientation == 1)
        #expect(result.notes.contains { $0.contains("orientation 6") })
        await engine.shutdown()
    }

    @Test func keepsTheICCProfile() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("icc.jpg"), icc: true)
        let before = try ImageFactory.info(temp.appending("icc.jpg")).iccBytes
        #expect(before > 0)
        let engine = try engine()
        let (_, path) = try await upscale(engine, temp.appending("icc.jpg"), format: .jpeg, in: temp)
        #expect(try ImageFactory.info(path).iccBytes == before)
        await engine.shutdown()
    }

    @Test func keepsEXIFInPNGResults() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("with-exif.jpg"))          // libvips writes an EXIF block
        let exif = try VipsImageRef.open(temp.appending("with-exif.jpg"), sequential: true).blobLength("exif-data")
        #expect(exif > 0)
        let engine = try engine()
        let (_, path) = try await upscale(engine, temp.appending("with-exif.jpg"), format: .jpeg, in: temp)
        #expect(try VipsImageRef.open(path, sequential: true).blobLength("exif-data") > 0)
        await engine.shutdown()
    }

    @Test func sixteenBitAndCMYKInputs() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("deep.png"), sixteenBit: true)
        try ImageFactory.write(temp.appending("cmyk.jpg"), cmyk: true)
        let engine = try engine()
        let (_, deep) = try await upscale(engine, temp.appending("deep.png"), format: .png, in: temp, name: "d")
        #expect(try ImageFactory.info(deep).width == 128)
        let (_, cmyk) = try await upscale(engine, temp.appending("cmyk.jpg"), format: .jpeg, in: temp, name: "c")
        let info = try ImageFactory.info(cmyk)
        #expect(info.width == 128 && info.bands == 3)            // converted to RGB for PNG
        await engine.shutdown()
    }

    @Test func refusesDecompressionBombsBeforeDecoding() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("big.png"), width: 200, height: 100)
        let engine = try engine { $0.maxInputPixels = 10_000 }
        await #expect(throws: UpscaleFailure.self) {
            _ = try await upscale(engine, temp.appending("big.png"), format: .png, in: temp)
        }
        do {
            _ = try await upscale(engine, temp.appending("big.png"), format: .png, in: temp)
        } catch {
            #expect(error.code == .tooLarge)
            #expect(error.reason.contains("200x100"))
            #expect(error.disposition == .failInput)
        }
        await engine.shutdown()
    }

    @Test func truncatedFilesFailWithTheDecodersMessage() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("whole.png"), width: 200, height: 200)
        let bytes = try readFile(temp.appending("whole.png"))
        try writeFile(temp.appending("cut.png"), Array(bytes.prefix(bytes.count / 2)))
        let engine = try engine()
        do {
            _ = try await upscale(engine, temp.appending("cut.png"), format: .png, in: temp)
            Issue.record("a truncated PNG was accepted")
        } catch {
            #expect(error.code == .undecodable)
            #expect(error.reason.contains("cut.png"))
        }
        await engine.shutdown()
    }

    @Test func animatedImagesAreRefusedOrFirstFrame() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("anim.gif"), width: 32, height: 32, frames: 3)
        #expect(try ImageFactory.info(temp.appending("anim.gif")).pages == 3)
        let refusing = try engine()
        do {
            _ = try await upscale(refusing, temp.appending("anim.gif"), format: .gif, in: temp)
            Issue.record("an animated GIF was accepted")
        } catch {
            #expect(error.code == .animated)
            #expect(error.reason.contains("3 frames"))
        }
        await refusing.shutdown()
        let firstFrame = try engine { $0.animated = .firstFrame }
        let (result, path) = try await upscale(firstFrame, temp.appending("anim.gif"), format: .gif, in: temp)
        #expect(try ImageFactory.info(path).height == 64)
        #expect(result.notes.contains { $0.contains("first frame") })
        await firstFrame.shutdown()
    }

    @Test func resultVerifierCatchesAWrongSize() async throws {
        let temp = TempDirectory()
        try ImageFactory.write(temp.appending("in.png"))
        let file = try TempFile.create(in: temp.path)
        defer { file.close(committed: false) }
        try file.write(try readFile(temp.appending("in.png")))
        try file.sync()
        #expect(throws: UpscaleFailure.self) { try ResultVerifier.verify(file, expectedWidth: 128, expectedHeight: 96) }
        try ResultVerifier.verify(file, expectedWidth: 64, expectedHeight: 48)
    }
}
