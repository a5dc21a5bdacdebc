import CUpscaledVips
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
        var inspection = try InputInspection(request, settings: settings)
        let size = inspection.output
        do throws(VipsError) {
            var enlarged = try inspection.upright(request).resized(h: size.hscale, v: size.vscale)
            if request.outputFormat == .jpeg && enlarged.hasAlpha {
                enlarged = try enlarged.flattenedOnWhite()
                inspection.notes.append("transparency flattened onto white (JPEG has no alpha)")
            }
            try ResultEncoder.save(enlarged, as: request.outputFormat, settings: settings, fd: outputFD)
            return UpscaleResult(inputWidth: inspection.uprightWidth, inputHeight: inspection.uprightHeight,
                                 width: size.width, height: size.height, format: request.outputFormat, notes: inspection.notes)
        } catch {
            throw ResultEncoder.failure(error, request: request)
        }
    }
}
