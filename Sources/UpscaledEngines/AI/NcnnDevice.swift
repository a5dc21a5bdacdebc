import CNcnnGPU
import UpscaledCore

/// Where the AI engine's networks run: ncnn's own CPU kernels, or a Vulkan device.
///
/// `ai.gpu = "off"` never asks ncnn about Vulkan (libvulkan is not even loaded). `"auto"` takes
/// ncnn's preferred *hardware* device (discrete, integrated or virtual GPU) and falls back to the
/// CPU: a software Vulkan device (Mesa's lavapipe) runs ncnn's shaders on the same cores ~40x
/// slower than ncnn's CPU kernels (measured: a 128 px tile 2.9 s against 0.07 s on 2 cores), so
/// it is used only when asked for with `"vulkan"`, which takes any device and refuses to start
/// without one.
public enum NcnnDevice: Sendable, Equatable, CustomStringConvertible {
    case cpu
    /// ncnn's device `index`; `budgetMB` is ncnn's memory budget for it (its heap budget).
    case vulkan(index: Int, name: String, software: Bool, budgetMB: Int)

    public var description: String {
        switch self {
        case .cpu: "CPU"
        case .vulkan(_, let name, _, _): "Vulkan \(name)"
        }
    }

    public var isVulkan: Bool { self != .cpu }

    /// A Vulkan device that is software on the CPU (lavapipe, SwiftShader).
    public var isSoftware: Bool {
        if case .vulkan(_, _, let software, _) = self { software } else { false }
    }

    /// The device for a setting. Enumerating creates ncnn's Vulkan instance once per process, but
    /// only a device that is chosen is created (its memory budget): with `"auto"` a software one
    /// never is, so its driver's code generator (lavapipe's LLVM JIT, which needs writable and
    /// executable memory) never runs.
    public static func choose(_ gpu: AIConfig.GPU) throws(AIModelError) -> NcnnDevice {
        switch gpu {
        case .off:
            return .cpu
        case .auto:
            guard let best = preferred, !best.software else { return .cpu }
            return device(best)
        case .vulkan:
            guard let best = preferred else {
                throw .noVulkanDevice(detail: upscaled_ncnn_gpu_built() == 0
                    ? "this ncnn build has no Vulkan (packaging/install-ncnn builds it with Vulkan)"
                    : "there is no Vulkan device (no libvulkan1, no driver such as mesa-vulkan-drivers, or no access to /dev/dri)")
            }
            return device(best)
        }
    }

    private static func device(_ found: (index: Int32, name: String, software: Bool)) -> NcnnDevice {
        .vulkan(index: Int(found.index), name: found.name, software: found.software,
                budgetMB: Int(upscaled_ncnn_gpu_heap_budget_mb(found.index)))
    }

    /// What ncnn printed about the Vulkan devices when it looked for them (held back from
    /// stderr; logged at debug level), or "" if it never looked (`ai.gpu = "off"`).
    public static var vulkanReport: String {
        String(cString: upscaled_ncnn_gpu_log())
    }

    /// The tile memory for a job: `memoryMB`, and on a Vulkan device no more than its budget.
    public func tileMemoryBytes(memoryMB: Int) -> Int {
        switch self {
        case .cpu: memoryMB << 20
        case .vulkan(_, _, _, let budget): min(memoryMB, max(64, budget)) << 20
        }
    }

    /// ncnn's preferred device (discrete, integrated, then any), looked up once per process.
    private static let preferred: (index: Int32, name: String, software: Bool)? = {
        guard upscaled_ncnn_gpu_count() > 0 else { return nil }
        let index = upscaled_ncnn_gpu_default_index()
        guard index >= 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = upscaled_ncnn_gpu_name(index, &buffer, buffer.count)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return (index, String(decoding: bytes, as: UTF8.self), upscaled_ncnn_gpu_type(index) == 3)
    }()
}
