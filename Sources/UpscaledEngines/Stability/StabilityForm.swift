import MultipartKit
import NIOCore
import NIOPosix
import NIOHTTP1
import UpscaledCore

/// The multipart/form-data body of one upscale request, built with MultipartKit. Optional
/// fields are omitted rather than sent empty (the API rejects explicit empties).
public struct StabilityForm: Sendable {
    public var fields: [(String, String)] = []
    public var image: ImageSource
    public var imageFormat: ImageFormat

    public init(image: ImageSource, imageFormat: ImageFormat) {
        self.image = image
        self.imageFormat = imageFormat
    }

    public mutating func add(_ name: String, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        fields.append((name, value))
    }

    /// The fields an endpoint takes, from the generation settings.
    public static func make(kind: EngineKind, image: ImageSource, format: ImageFormat, generation: StabilityConfig.Generation,
                            outputFormat: ImageFormat, v1Width: Int?) -> StabilityForm {
        var form = StabilityForm(image: image, imageFormat: format)
        let output = [.png, .jpeg, .webp].contains(outputFormat) ? outputFormat.apiName : "png"
        switch kind {
        case .fast:
            form.add("output_format", output)
        case .conservative, .creative:
            form.add("prompt", generation.prompt)
            form.add("negative_prompt", generation.negativePrompt)
            form.add("seed", generation.seed.map { String($0) })
            form.add("creativity", generation.creativity.map { String($0) })
            if kind == .creative { form.add("style_preset", generation.stylePreset) }
            form.add("output_format", output)
        case .v1(let id):
            form.add("width", v1Width.map { String($0) })
            if id.contains("latent") {
                if let prompt = generation.prompt {
                    form.add("text_prompts[0][text]", prompt)
                    form.add("text_prompts[0][weight]", "1")
                }
                if let negative = generation.negativePrompt {
                    form.add("text_prompts[1][text]", negative)
                    form.add("text_prompts[1][weight]", "-1")
                }
                form.add("seed", generation.seed.map { String($0) })
                form.add("steps", generation.steps.map { String($0) })
                form.add("cfg_scale", generation.cfgScale.map { String($0) })
            }
        case .local, .ai:
            break
        }
        return form
    }

    /// The streamed body: MultipartKit serializes every field and the image part with an empty
    /// body; the image bytes are streamed into that gap, between the part's headers and the
    /// closing boundary.
    public func upload(pool: NIOThreadPool) throws -> UploadBody {
        var generator = SystemRandomNumberGenerator()
        let boundary = "upscaled-" + String(generator.next() as UInt64, radix: 36) + String(generator.next() as UInt64, radix: 36)
        var parts: [MultipartPart] = fields.map { name, value in
            MultipartPart(headers: ["Content-Disposition": "form-data; name=\"\(name)\""], body: value)
        }
        parts.append(MultipartPart(
            headers: ["Content-Disposition": "form-data; name=\"image\"; filename=\"image.\(imageFormat.fileExtension)\"",
                      "Content-Type": imageFormat.mimeType],
            body: ByteBuffer()))
        var envelope = ByteBuffer()
        try MultipartSerializer().serialize(parts: parts, boundary: boundary, into: &envelope)
        // The last part's (empty) body ends where the closing delimiter begins.
        let closing = Array("\r\n--\(boundary)--\r\n".utf8)
        let bytes = Array(envelope.readableBytesView)
        guard bytes.count >= closing.count, Array(bytes.suffix(closing.count)) == closing else {
            throw UploadError(description: "unexpected multipart layout from MultipartKit")
        }
        let prefix = ByteBuffer(bytes: bytes.dropLast(closing.count))
        return UploadBody(contentType: "multipart/form-data; boundary=\(boundary)",
                          length: prefix.readableBytes + image.size + closing.count,
                          prefix: prefix, suffix: ByteBuffer(bytes: closing), image: image, pool: pool)
    }
}

struct UploadError: Error, CustomStringConvertible {
    var description: String
}

extension ImageFormat {
    /// The name the API uses in `output_format`.
    public var apiName: String {
        switch self {
        case .jpeg: "jpeg"
        default: rawValue
        }
    }

    public var mimeType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        case .gif: "image/gif"
        case .tiff: "image/tiff"
        case .heif: "image/heic"
        case .avif: "image/avif"
        case .jxl: "image/jxl"
        }
    }

    /// The format a `Content-Type` names, if it is an image.
    public init?(mimeType: String) {
        let base = mimeType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch base {
        case "image/png": self = .png
        case "image/jpeg", "image/jpg": self = .jpeg
        case "image/webp": self = .webp
        default: return nil
        }
    }
}
