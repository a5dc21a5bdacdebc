import Foundation
import SystemPackage
import Testing
import UpscaledCore
import UpscaledEngines
import UpscaledLinux
import UpscaledTestSupport

/// The AI engine's Vulkan path (`ai.gpu`), proved on Mesa's lavapipe (`mesa-vulkan-drivers`, which
/// `packaging/install-deps --test` installs): a software Vulkan device on the CPU, so CI without a
/// GPU runs ncnn's real compute shaders. On a machine with a GPU the same tests run on the GPU.
@Suite(.serialized) struct AIEngineGPUTests {
    func engine(gpu: AIConfig.GPU, tileSize: Int? = nil) throws -> AIEngine {
        var config = DaemonConfig(root: "/unused")
        config.workers = 1
        config.ai.gpu = gpu
        config.ai.tileSize = tileSize
        return try AIEngine(config: config)
    }

    func upscale(_ engine: AIEngine, _ input: FilePath, in temp: TempDirectory, name: String) async throws
        -> (UpscaleResult, FilePath)
    {
        let file = try TempFile.create(in: temp.path)
        defer { file.close(committed: true) }
        let request = UpscaleRequest(input: input, displayName: "in.png", inputFormat: .png, outputFormat: .png,
                                     target: .scale(2))
        let result = try await engine.upscale(request, into: file)
        let path = temp.appending("\(name).png")
        try file.sync()
        #expect(try file.commit(as: path))
        return (result, path)
    }

    @Test func vulkanMatchesTheCPUWithinTwoLevels() async throws {
        let device = try NcnnDevice.choose(.vulkan)       // throws, naming why, when there is none
        guard case .vulkan(_, let name, _, _) = device else { Issue.record("\(device)"); return }
        let temp = TempDirectory()
        // A real photograph; 4 tiles of 48 px, so tile seams are compared too.
        try RealImages.variant(of: "chelsea.png", to: temp.appending("in.png"), crop: (150, 60, 96, 72))
        let cpu = try engine(gpu: .off, tileSize: 48)
        let gpu = try engine(gpu: .vulkan, tileSize: 48)
        #expect(cpu.summary.contains("ncnn, CPU,"), "\(cpu.summary)")
        #expect(gpu.summary.contains("ncnn, Vulkan \(name),"), "\(gpu.summary)")
        let (_, a) = try await upscale(cpu, temp.appending("in.png"), in: temp, name: "cpu")
        let (result, b) = try await upscale(gpu, temp.appending("in.png"), in: temp, name: "gpu")
        #expect(result.width == 192 && result.height == 144)
        #expect(result.notes.contains { $0.contains("2x on Vulkan \(name), 4 tiles of 48 px") }, "\(result.notes)")
        let difference = try RealImages.maxDifference(a, b)
        #expect(difference <= 2, "Vulkan (\(name)) and CPU differ by \(difference) levels")
        await cpu.shutdown()
        await gpu.shutdown()
    }

    @Test func autoTakesAHardwareDeviceAndLeavesASoftwareOneAlone() async throws {
        // lavapipe is a Vulkan device on the same cores, ~40x slower than ncnn's CPU kernels:
        // "auto" uses it only when it is not a software device.
        let engine = try engine(gpu: .auto)
        switch try NcnnDevice.choose(.vulkan) {
        case .vulkan(_, let name, let software, _):
            #expect(engine.summary.contains(software ? "ncnn, CPU," : "ncnn, Vulkan \(name),"), "\(engine.summary)")
        case .cpu:
            Issue.record("no Vulkan device")
        }
        await engine.shutdown()
    }

    @Test func offIsTheCPU() async throws {
        let engine = try engine(gpu: .off)
        #expect(try NcnnDevice.choose(.off) == .cpu)
        #expect(engine.summary.contains("ncnn, CPU,"), "\(engine.summary)")
        await engine.shutdown()
    }
}
