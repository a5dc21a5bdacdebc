import CNcnn
import CNcnnGPU
import Crypto
import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// One loaded ncnn network (a `.param` + `.bin` pair) that upscales 8-bit RGB tiles.
///
/// Checked when it loads, so a broken model is a configuration error at start, not a failed
/// input later: the `.bin` must be exactly as long as the `.param` says (ncnn reports how many
/// bytes it consumed), and a small test tile must come out `scale` times larger.
///
/// Feature maps come from two ncnn pool allocators of the network's own (fast: a tile reuses the
/// last tile's buffers). A pool keeps what it was given until it is destroyed, so when no job is
/// running `releasePools()` swaps in empty ones and frees the old: an idle daemon does not keep
/// the last tile's hundreds of MB.
///
/// On a Vulkan device (`NcnnDevice.vulkan`) ncnn runs the layers as compute shaders, in fp32 (ncnn's
/// fp16 storage and arithmetic are off: with them a noisy tile differed from the CPU's by 6 levels
/// on lavapipe, without them by 1). The pools then hold only the host side of each tile: ncnn's
/// device allocators keep theirs until the process ends (an idle daemon after a job on lavapipe:
/// ~320 MB RSS, against ~105 MB on the CPU).
///
/// `@unchecked Sendable`: after `init` the net is only read, except by `releasePools()`, which the
/// caller (`AIModelSet`) runs only while no job, hence no extractor, exists. ncnn documents `Net`
/// as safe for concurrent `Extractor`s, its `PoolAllocator` is locked, `run` creates one extractor
/// per call and destroys it before returning, and `weights` is immutable.
public final class NcnnNetwork: @unchecked Sendable {
    private let net: ncnn_net_t
    private var blobPool: ncnn_allocator_t?
    private var workspacePool: ncnn_allocator_t?
    /// The `.bin` bytes: ncnn may refer to them instead of copying, so they live as long as the net.
    private let weights: UnsafeMutableRawBufferPointer
    private let inputName: String
    private let outputName: String
    public let scale: Int
    public let threads: Int
    public let paramPath: String
    public let device: NcnnDevice

    /// Loads `param`/`bin`; `scale` nil means "whatever the network does" (found by the test tile).
    public init(param: String, bin: String, scale: Int?, threads: Int, device: NcnnDevice = .cpu) throws(AIModelError) {
        let weightsData = try Self.read(bin)
        guard let net = ncnn_net_create() else { throw .unusable(param: param, detail: "ncnn could not create a network") }
        // Loaded without pools: weights live in ordinary memory, never in a pool that is swapped.
        Self.setOption(net, threads: threads, device: device, blob: nil, workspace: nil)
        // Before loading: ncnn builds each layer's pipeline (its shaders) for this device as it loads.
        if case .vulkan(let index, _, _, _) = device { upscaled_ncnn_net_set_vulkan_device(net, Int32(index)) }
        guard ncnn_net_load_param(net, param) == 0, ncnn_net_get_input_count(net) >= 1, ncnn_net_get_output_count(net) >= 1 else {
            ncnn_net_destroy(net)
            throw .badParam(path: param)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, weightsData.count), alignment: 16)
        weightsData.copyBytes(to: buffer)
        let consumed = ncnn_net_load_model_memory(net, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
        guard consumed == weightsData.count else {
            ncnn_net_destroy(net)
            buffer.deallocate()
            let detail = consumed < weightsData.count
                ? "it has \(weightsData.count) bytes, the network reads \(consumed)"
                : "it has \(weightsData.count) bytes, the network needs more"
            throw .mismatch(param: param, bin: bin, detail: detail)
        }
        self.net = net
        self.weights = buffer
        self.inputName = String(cString: ncnn_net_get_input_name(net, 0))
        self.outputName = String(cString: ncnn_net_get_output_name(net, 0))
        self.threads = threads
        self.paramPath = param
        self.device = device
        // A test tile: proves the layers run and tells (or checks) the factor.
        let side = 16
        let probe = [UInt8](repeating: 128, count: side * side * 3)
        let produced: (width: Int, height: Int)?
        do throws(NcnnRunError) {
            produced = try Self.extract(net: net, input: inputName, output: outputName, pixels: probe, width: side,
                                        height: side, region: TilePlan.Rect(x: 0, y: 0, width: side, height: side),
                                        scale: nil, into: nil)
        } catch {
            produced = nil
        }
        guard let produced, produced.width % side == 0, produced.width == produced.height, produced.width >= side else {
            ncnn_net_destroy(net)
            buffer.deallocate()
            throw .unusable(param: param, detail: "a 16x16 test tile did not come out as a larger 3-channel square image")
        }
        let found = produced.width / side
        if let scale, scale != found {
            ncnn_net_destroy(net)
            buffer.deallocate()
            throw .unusable(param: param, detail: "it enlarges \(found)x, not \(scale)x (ai.model_scale)")
        }
        self.scale = found
        releasePools()
    }

    deinit {
        ncnn_net_destroy(net)
        [blobPool, workspacePool].compactMap { $0 }.forEach { ncnn_allocator_destroy($0) }
        weights.deallocate()
    }

    /// Gives the network empty pools and frees the old ones with everything they hold. Only while
    /// no extraction runs on this network.
    func releasePools() {
        let old = [blobPool, workspacePool]
        blobPool = ncnn_allocator_create_pool_allocator()
        workspacePool = ncnn_allocator_create_pool_allocator()
        Self.setOption(net, threads: threads, device: device, blob: blobPool, workspace: workspacePool)
        old.compactMap { $0 }.forEach { ncnn_allocator_destroy($0) }
    }

    private static func setOption(_ net: ncnn_net_t, threads: Int, device: NcnnDevice, blob: ncnn_allocator_t?,
                                  workspace: ncnn_allocator_t?) {
        let option = ncnn_option_create()
        ncnn_option_set_num_threads(option, Int32(threads))
        ncnn_option_set_use_vulkan_compute(option, device.isVulkan ? 1 : 0)
        if device.isVulkan {
            ncnn_option_set_use_fp16_packed(option, 0)
            ncnn_option_set_use_fp16_storage(option, 0)
            ncnn_option_set_use_fp16_arithmetic(option, 0)
        }
        ncnn_option_set_use_local_pool_allocator(option, 0)     // ours instead, which we can empty
        ncnn_option_set_blob_allocator(option, blob)
        ncnn_option_set_workspace_allocator(option, workspace)
        ncnn_net_set_option(net, option)
        ncnn_option_destroy(option)
    }

    /// Runs the network on `region` of an 8-bit RGB image (`width`x`height`, rows packed) and
    /// writes the `scale`x larger result, packed RGB, into `output` (region.width·scale ×
    /// region.height·scale × 3 bytes). Blocking: call from a thread of our own, never the pool.
    public func run(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, region: TilePlan.Rect,
                    into output: UnsafeMutableBufferPointer<UInt8>) throws(NcnnRunError) {
        _ = try Self.extract(net: net, input: inputName, output: outputName, pixels: pixels, width: width,
                             height: height, region: region, scale: scale, into: output)
    }

    /// One extraction; returns the output's size. With `into: nil` (the load-time probe) nothing is copied.
    private static func extract(net: ncnn_net_t, input: String, output: String, pixels: some Collection<UInt8>,
                                width: Int, height: Int, region: TilePlan.Rect, scale: Int?,
                                into destination: UnsafeMutableBufferPointer<UInt8>?)
        throws(NcnnRunError) -> (width: Int, height: Int)
    {
        let made: ncnn_mat_t?? = pixels.withContiguousStorageIfAvailable { buffer in
            ncnn_mat_from_pixels_roi(buffer.baseAddress, NCNN_MAT_PIXEL_RGB, Int32(width), Int32(height),
                                     Int32(width * 3), Int32(region.x), Int32(region.y),
                                     Int32(region.width), Int32(region.height), nil)
        }
        guard let made, let inMat = made else { throw NcnnRunError(stage: "input") }
        defer { ncnn_mat_destroy(inMat) }
        let toUnit: [Float] = [1 / 255, 1 / 255, 1 / 255]
        ncnn_mat_substract_mean_normalize(inMat, nil, toUnit)
        guard let extractor = ncnn_extractor_create(net) else { throw NcnnRunError(stage: "extractor") }
        defer { ncnn_extractor_destroy(extractor) }
        guard ncnn_extractor_input(extractor, input, inMat) == 0 else { throw NcnnRunError(stage: "input") }
        var outMat: ncnn_mat_t?
        guard ncnn_extractor_extract(extractor, output, &outMat) == 0, let outMat else { throw NcnnRunError(stage: "inference") }
        defer { ncnn_mat_destroy(outMat) }
        let (w, h, c) = (Int(ncnn_mat_get_w(outMat)), Int(ncnn_mat_get_h(outMat)), Int(ncnn_mat_get_c(outMat)))
        guard c == 3 else { throw NcnnRunError(stage: "output has \(c) channels") }
        guard let destination else { return (w, h) }
        guard let scale, w == region.width * scale, h == region.height * scale, destination.count >= w * h * 3 else {
            throw NcnnRunError(stage: "output is \(w)x\(h)")
        }
        // Back to 0–255; +0.5 because ncnn's float-to-byte conversion truncates: this rounds.
        let mean: [Float] = [-0.5 / 255, -0.5 / 255, -0.5 / 255]
        let toByte: [Float] = [255, 255, 255]
        ncnn_mat_substract_mean_normalize(outMat, mean, toByte)
        ncnn_mat_to_pixels(outMat, destination.baseAddress, NCNN_MAT_PIXEL_RGB, Int32(w * 3))
        return (w, h)
    }

    private static func read(_ path: String) throws(AIModelError) -> [UInt8] {
        do { return try FileOperations.readAll(FilePath(path), limit: 1 << 30) } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }

    /// The sha256 of a file, lower-case hex.
    public static func sha256(of path: String) throws(AIModelError) -> String {
        SHA256.hash(data: try read(path)).map { String(format: "%02x", $0) }.joined()
    }
}

/// ncnn failed on a tile (out of memory, or a network that misbehaves on this input).
public struct NcnnRunError: Error, Sendable, CustomStringConvertible {
    public var stage: String
    public var description: String { "ncnn failed at \(stage)" }
}
