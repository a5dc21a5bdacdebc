import CUpscaledVips
import UpscaledCore

/// The synchronous heart of the AI engine, run on one of the engine's own threads (never Swift's
/// cooperative pool): header checks as every engine does them, the input to 8-bit RGB for the
/// network, the network tile by tile behind a lazy libvips image, alpha upscaled by libvips and
/// joined back, the result back to the input's kind (grey, 16-bit) where the output format
/// holds it, libvips to the exact size asked for, and the encoder streaming into the result file.
enum AIUpscaler {
    struct Job {
        var settings: LocalEngineSettings
        var models: AIModelSet
        var memoryBytes: Int
        /// A fixed tile size (`ai.tile_size`), else chosen from `memoryBytes`.
        var tileSize: Int?
        /// Context pixels around each tile (`ai.tile_margin`, else the model family's).
        var margin: Int
        var shouldStop: @Sendable () -> Bool
        var progress: @Sendable (Int, Int) -> Void
    }

    static func run(_ request: UpscaleRequest, job: Job, outputFD: CInt) throws(UpscaleFailure) -> UpscaleResult {
        var inspection = try InputInspection(request, settings: job.settings)
        let size = inspection.output
        let network = job.models.network(for: max(size.hscale, size.vscale))
        var source: TiledUpscaleSource?
        do throws(VipsError) {
            var image = try inspection.upright(request)
            if request.outputFormat == .jpeg && image.hasAlpha {
                image = try image.flattenedOnWhite()
                inspection.notes.append("transparency flattened onto white (JPEG has no alpha)")
            }
            // Colour and alpha are read separately: decode once, into memory (the input is small
            // beside its result), instead of reading a sequential file twice.
            if image.hasAlpha { image = try image.inMemory() }
            let colourBands = image.hasAlpha ? image.bands - 1 : image.bands
            let colour = image.hasAlpha ? try image.bands(from: 0, count: colourBands) : image
            let rgb = try colour.rgb8()
            let pixels = try rgb.pixels()
            let (width, height) = (rgb.width, rgb.height)
            let tile = job.tileSize ?? TileSizing.tileSize(memoryBytes: job.memoryBytes, family: job.models.family,
                                                           margin: job.margin, inputWidth: width, inputHeight: height,
                                                           scale: network.scale)
            let tiles = TiledUpscaleSource(network: network, input: pixels, width: width, height: height,
                                           tileSize: tile, margin: job.margin,
                                           shouldStop: job.shouldStop, progress: job.progress)
            source = tiles
            var result = try VipsImageRef.generated(by: tiles, metadata: rgb)
            // Back to what the input was, where the output format can say it.
            let keepSixteen = image.isSixteenBit && request.outputFormat == .png
            if image.isGrey {
                result = try result.colourspace(keepSixteen ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_B_W)
            } else if keepSixteen {
                result = try result.colourspace(VIPS_INTERPRETATION_RGB16)
            }
            if image.hasAlpha {
                // As realesrgan-ncnn-vulkan does: alpha is a mask, not a picture; libvips enlarges it.
                var alpha = try image.bands(from: colourBands, count: 1)
                    .resized(h: Double(network.scale), v: Double(network.scale))
                if alpha.isSixteenBit && !keepSixteen { alpha = try alpha.eightBit() }
                result = try result.joined(with: alpha)
            }
            if result.width != size.width || result.height != size.height {
                result = try result.resized(toWidth: size.width, height: size.height)
                inspection.notes.append("network \(network.scale)x, then libvips to \(size.width)x\(size.height)")
            }
            try ResultEncoder.save(result, as: request.outputFormat, settings: job.settings, fd: outputFD)
            return UpscaleResult(inputWidth: inspection.uprightWidth, inputHeight: inspection.uprightHeight,
                                 width: size.width, height: size.height, format: request.outputFormat,
                                 notes: inspection.notes + ["\(job.models.name) \(network.scale)x on \(network.device), \(tiles.plan.count) tiles of \(tile) px"])
        } catch {
            switch source?.failure {
            case .stopped:
                throw UpscaleFailure(code: .engineStopped,
                                     reason: "the AI engine stopped between tiles of \(request.displayName) (shutting down); it goes back to the inbox",
                                     disposition: .retryLater, details: ["tiles_done": "\(source?.tilesDone ?? 0)"])
            case .network(let message):
                throw UpscaleFailure(code: .aiFailed,
                                     reason: "the network failed on \(request.displayName): \(message); try a smaller ai.memory_mb or another model",
                                     details: ["ncnn": message])
            case nil:
                throw ResultEncoder.failure(error, request: request)
            }
        }
    }
}
