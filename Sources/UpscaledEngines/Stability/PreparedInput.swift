import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The bytes that will be uploaded, after the endpoint's limits were checked (and, when
/// `fit_to_limits` is on, after the input was downscaled or re-encoded to fit them).
struct PreparedInput: Sendable {
    /// The image to upload: the claimed file itself (streamed), or fitted bytes in memory.
    var source: ImageSource
    /// SHA-256 of what is uploaded, for the result cache.
    var digest: String
    var format: ImageFormat
    /// The size of what is sent.
    var width: Int
    var height: Int
    /// The size of the original.
    var originalWidth: Int
    var originalHeight: Int
    /// v1 only: the output width asked for.
    var v1Width: Int?
    var notes: [String]
}

extension StabilityEngine {
    /// Reads the claimed file, checks it against the endpoint's documented limits and fits it
    /// if configured. Blocking (file read, libvips): runs on the engine's pool thread.
    static func prepareInput(_ request: UpscaleRequest, kind: EngineKind, config: StabilityConfig,
                             quality: EncodeQuality) throws -> PreparedInput {
        let limits = EndpointLimits.of(kind)
        let header: VipsImageRef
        do { header = try VipsImageRef.open(request.input, sequential: true) } catch {
            throw UpscaleFailure(code: .undecodable, reason: "\(request.displayName) could not be read: \(error.message)",
                                 details: ["libvips": error.message])
        }
        let (width, height) = (header.width, header.height)
        let size = Int((try? FileOperations.status(request.input))?.size ?? 0)
        var notes: [String] = []
        if header.int("n-pages", default: 1) > 1 {
            notes.append("animated input: the API receives its first frame only")
        }

        func v1Width(for w: Int, _ h: Int) -> Int? {
            guard case .v1 = kind else { return nil }
            return request.target.outputSize(width: w, height: h).width
        }
        func problem(_ w: Int, _ h: Int, bytes: Int, format: ImageFormat) -> String? {
            if let out = v1Width(for: w, h) {
                if out < 512 { return "the v1 API needs an output width of at least 512 px; \(w)x\(h) at \(request.target.summary) gives \(out)" }
                let outHeight = Int((Double(h) * Double(out) / Double(w)).rounded())
                return limits.violation(width: w, height: h, bytes: bytes, format: format, outputPixels: out * outHeight)
            }
            return limits.violation(width: w, height: h, bytes: bytes, format: format)
        }

        if let violation = problem(width, height, bytes: size, format: request.inputFormat) {
            guard config.fitToLimits else {
                throw UpscaleFailure(
                    code: .overAPILimit,
                    reason: "\(request.displayName) cannot be sent to the \(kind.name) endpoint: \(violation); nothing was uploaded "
                        + "(set stability.fit_to_limits = true to downscale or re-encode it first)",
                    details: ["width": "\(width)", "height": "\(height)", "bytes": "\(size)", "engine": kind.name])
            }
            // Fit: shrink within the pixel and side limits, re-encode as PNG, or JPEG when PNG is too big.
            var target = limits.fitted(width: width, height: height)
            if case .v1 = kind, let out = v1Width(for: target.width, target.height) {
                let outHeight = Double(target.height) * Double(out) / Double(target.width)
                if Double(out) * outHeight > 4_194_304 {
                    let shrink = (4_194_304 / (Double(out) * outHeight)).squareRoot()
                    target = (Int(Double(target.width) * shrink), Int(Double(target.height) * shrink))
                }
            }
            let original = try readAll(request.input)
            var bytes: [UInt8]
            var format = ImageFormat.png
            do throws(VipsError) {
                bytes = try VipsBuffer.transcode(original, suffix: ".png", size: target == (width, height) ? nil : target)
                if bytes.count + 65_536 > limits.maxRequestBytes {
                    bytes = try VipsBuffer.transcode(original, suffix: quality.vipsSuffix(.jpeg), size: target == (width, height) ? nil : target)
                    format = .jpeg
                }
            } catch {
                throw UpscaleFailure(code: .undecodable, reason: "\(request.displayName) could not be fitted: \(error.message)")
            }
            if let still = problem(target.width, target.height, bytes: bytes.count, format: format) {
                throw UpscaleFailure(code: .overAPILimit,
                                     reason: "\(request.displayName) cannot be fitted to the \(kind.name) endpoint: \(still)",
                                     details: ["width": "\(width)", "height": "\(height)", "engine": kind.name])
            }
            notes.append("fitted to the API's limits: \(width)x\(height) → \(target.width)x\(target.height) \(format.rawValue)")
            return PreparedInput(source: .memory(bytes), digest: ResultCache.digest(of: bytes), format: format,
                                 width: target.width, height: target.height,
                                 originalWidth: width, originalHeight: height, v1Width: v1Width(for: target.width, target.height),
                                 notes: notes)
        }
        let digest: String
        do { digest = try ResultCache.digest(of: request.input) } catch {
            throw UpscaleFailure(code: .unreadable, reason: "cannot read \(request.input.display): \(error)", disposition: .retryLater)
        }
        return PreparedInput(source: .file(request.input, size: size), digest: digest, format: request.inputFormat,
                             width: width, height: height,
                             originalWidth: width, originalHeight: height, v1Width: v1Width(for: width, height), notes: notes)
    }

    private static func readAll(_ path: FilePath) throws -> [UInt8] {
        do { return try FileOperations.readAll(path, limit: 512 << 20) } catch {
            throw UpscaleFailure(code: .unreadable, reason: "cannot read \(path.display): \(error)",
                                 disposition: error.isEnvironmental ? .retryLater : .failInput)
        }
    }
}
