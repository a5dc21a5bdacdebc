import CUpscaledVips
import UpscaledCore
import SystemPackage

/// What every offline engine learns from an input's header before it decodes a pixel: its size
/// (refused over `max_input_pixels`), animation (refused or first frame), orientation, and the
/// result's size (refused over `max_output_pixels`). One place, so the engines refuse alike.
struct InputInspection {
    var header: VipsImageRef
    var orientation: Int
    /// The size once EXIF orientation is applied.
    var uprightWidth: Int
    var uprightHeight: Int
    var output: (width: Int, height: Int, hscale: Double, vscale: Double)
    var notes: [String]

    var rotates: Bool { (2...8).contains(orientation) }

    init(_ request: UpscaleRequest, settings: LocalEngineSettings) throws(UpscaleFailure) {
        do { header = try VipsImageRef.open(request.input, sequential: true) } catch {
            throw UpscaleFailure(code: .undecodable,
                                 reason: "\(request.displayName) could not be read as \(request.inputFormat.rawValue.uppercased()): \(error.message)",
                                 details: ["libvips": error.message])
        }
        let (w, h) = (header.width, header.height)
        if w * h > settings.maxInputPixels {
            throw UpscaleFailure(code: .tooLarge,
                                 reason: "\(request.displayName) declares \(w)x\(h) = \(w * h) pixels, over the limit of \(settings.maxInputPixels) (max_input_pixels); it was not decoded",
                                 details: ["width": "\(w)", "height": "\(h)"])
        }
        notes = []
        let pages = header.int("n-pages", default: 1)
        if pages > 1 {
            switch settings.animated {
            case .refuse:
                throw UpscaleFailure(code: .animated,
                                     reason: "\(request.displayName) is animated (\(pages) frames); set animated = \"first-frame\" to upscale its first frame",
                                     details: ["frames": "\(pages)"])
            case .firstFrame:
                notes.append("animated input (\(pages) frames): first frame only")
            }
        }
        orientation = header.int("orientation", default: 1)
        // Orientation 5–8 swap the sides; the target size is computed on the upright image.
        (uprightWidth, uprightHeight) = (5...8).contains(orientation) ? (h, w) : (w, h)
        output = request.target.outputSize(width: uprightWidth, height: uprightHeight)
        if output.width * output.height > settings.maxOutputPixels {
            throw UpscaleFailure(code: .tooLarge,
                                 reason: "\(request.displayName) would become \(output.width)x\(output.height), over the limit of \(settings.maxOutputPixels) output pixels (max_output_pixels)",
                                 details: ["width": "\(output.width)", "height": "\(output.height)"])
        }
    }

    /// The image to work on: upright, from the start of the file. Rotation needs random access, so
    /// a rotated input is reopened rather than a sequential stream buffered.
    mutating func upright(_ request: UpscaleRequest) throws(VipsError) -> VipsImageRef {
        guard rotates else { return header }
        notes.append("EXIF orientation \(orientation) applied")
        return try VipsImageRef.open(request.input, sequential: false).autorotated()
    }
}

/// Encodes a finished image straight into the result's file descriptor, streaming.
enum ResultEncoder {
    static func save(_ image: VipsImageRef, as format: ImageFormat, settings: LocalEngineSettings, fd: CInt) throws(VipsError) {
        let rc: CInt
        var writeErrno: CInt = 0
        switch format {
        case .png: rc = upscaled_vips_save_png_fd(image.raw, fd, CInt(settings.pngCompression), settings.pngFilterAll, &writeErrno)
        case .jpeg: rc = upscaled_vips_save_jpeg_fd(image.raw, fd, CInt(settings.jpegQuality), &writeErrno)
        case .webp: rc = upscaled_vips_save_webp_fd(image.raw, fd, CInt(settings.webpQuality), false, &writeErrno)
        default: throw VipsError("cannot write \(format.rawValue) results")
        }
        if rc != 0 {
            var error = VipsError.last("encoding failed")
            if writeErrno != 0 { error.writeErrno = writeErrno }
            throw error
        }
    }

    /// The failure for a libvips error while producing or writing a result: the place's fault
    /// when a write into the result failed (told by its errno), else the input's.
    static func failure(_ error: VipsError, request: UpscaleRequest) -> UpscaleFailure {
        let message = error.message
        if let code = error.writeErrno {
            let errno = Errno(rawValue: code)
            let full = errno == .noSpace || errno == .diskQuotaExceeded
            return UpscaleFailure(code: full ? .diskFull : .writeFailed,
                                  reason: full ? "no space left to write the result of \(request.displayName)"
                                               : "cannot write the result of \(request.displayName): \(errno)",
                                  disposition: .retryLater, details: ["libvips": message, "errno": "\(code)"])
        }
        return UpscaleFailure(code: .undecodable,
                              reason: "\(request.displayName) could not be decoded (truncated or corrupt?): \(message)",
                              details: ["libvips": message, "file": request.input.display])
    }
}
