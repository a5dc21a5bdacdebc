import CUpscaledShims
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The synchronous heart of the local engine: header checks, orientation, enlargement,
/// encoding straight into a file descriptor. Runs on a pool thread, never on Swift's
/// cooperative pool (every call here may block for a second or more).
///
/// The resampler is libvips' bicubic (`vips_resize`; for enlargement libvips 8.14 uses bicubic
/// whatever kernel is named, so we say bicubic). Chosen on measurement
/// (`bench/resampler-quality.py`, docs/PERFORMANCE.md): on a shrink-then-enlarge round trip it has
/// the lowest error of bicubic, lbb, nohalo and bilinear, and is 3x faster than lbb, 6x than nohalo.
public enum VipsUpscaler {
    public static func run(_ request: UpscaleRequest, settings: LocalEngineSettings, outputFD: CInt)
        throws(UpscaleFailure) -> UpscaleResult
    {
        let path = request.input.display
        let header: VipsImageRef
        do { header = try VipsImageRef.open(request.input, sequential: true) } catch {
            throw UpscaleFailure(code: "undecodable",
                                 reason: "\(request.displayName) could not be read as \(request.inputFormat.rawValue.uppercased()): \(error.message)",
                                 details: ["libvips": error.message])
        }
        let (w, h) = (header.width, header.height)
        if w * h > settings.maxInputPixels {
            throw UpscaleFailure(code: "too-large",
                                 reason: "\(request.displayName) declares \(w)x\(h) = \(w * h) pixels, over the limit of \(settings.maxInputPixels) (max_input_pixels); it was not decoded",
                                 details: ["width": "\(w)", "height": "\(h)"])
        }
        let pages = header.int("n-pages", default: 1)
        var notes: [String] = []
        if pages > 1 {
            switch settings.animated {
            case .refuse:
                throw UpscaleFailure(code: "animated",
                                     reason: "\(request.displayName) is animated (\(pages) frames); set animated = \"first-frame\" to upscale its first frame",
                                     details: ["frames": "\(pages)"])
            case .firstFrame:
                notes.append("animated input (\(pages) frames): first frame only")
            }
        }
        let orientation = header.int("orientation", default: 1)
        let rotates = (2...8).contains(orientation)
        // Orientation 5–8 swap the sides; the target size is computed on the upright image.
        let (uprightW, uprightH) = orientation >= 5 && orientation <= 8 ? (h, w) : (w, h)
        let size = request.target.outputSize(width: uprightW, height: uprightH)
        if size.width * size.height > settings.maxOutputPixels {
            throw UpscaleFailure(code: "too-large",
                                 reason: "\(request.displayName) would become \(size.width)x\(size.height), over the limit of \(settings.maxOutputPixels) output pixels (max_output_pixels)",
                                 details: ["width": "\(size.width)", "height": "\(size.height)"])
        }
        do throws(VipsError) {
            var image = header
            if rotates {
                // Rotation needs random access; reopen rather than buffer a sequential stream.
                image = try VipsImageRef.open(request.input, sequential: false).autorotated()
                notes.append("EXIF orientation \(orientation) applied")
            }
            var enlarged = try image.resized(h: size.hscale, v: size.vscale)
            if request.outputFormat == .jpeg && enlarged.hasAlpha {
                enlarged = try enlarged.flattenedOnWhite()
                notes.append("transparency flattened onto white (JPEG has no alpha)")
            }
            let rc: CInt
            switch request.outputFormat {
            case .png: rc = upscaled_vips_save_png_fd(enlarged.raw, outputFD, CInt(settings.pngCompression), settings.pngFilterAll)
            case .jpeg: rc = upscaled_vips_save_jpeg_fd(enlarged.raw, outputFD, CInt(settings.jpegQuality))
            case .webp: rc = upscaled_vips_save_webp_fd(enlarged.raw, outputFD, CInt(settings.webpQuality), false)
            default:
                throw VipsError("the local engine cannot write \(request.outputFormat.rawValue)")
            }
            if rc != 0 { throw VipsError.last("encoding failed") }
            return UpscaleResult(inputWidth: uprightW, inputHeight: uprightH, width: size.width, height: size.height,
                                 format: request.outputFormat, notes: notes)
        } catch {
            let message = error.message
            if message.contains("No space left") || message.contains("Disk quota") {
                throw UpscaleFailure(code: "disk-full", reason: "no space left to write the result of \(request.displayName)",
                                     disposition: .retryLater, details: ["libvips": message])
            }
            throw UpscaleFailure(code: "undecodable",
                                 reason: "\(request.displayName) could not be decoded (truncated or corrupt?): \(message)",
                                 details: ["libvips": message, "file": path])
        }
    }
}
