/// What each Stability endpoint accepts, checked before any upload: a request that could only
/// fail is never sent, so no credits and no rate-limit budget are spent on it.
public struct EndpointLimits: Sendable, Equatable {
    public var minSide: Int
    public var maxSide: Int?
    public var minPixels: Int
    public var maxPixels: Int
    /// Largest long/short side ratio (2.5 for conservative).
    public var maxAspect: Double?
    /// The whole request body cap (10 MiB for v2beta).
    public var maxRequestBytes: Int
    /// Output pixel cap (v1: 4,194,304).
    public var maxOutputPixels: Int?
    /// Formats the endpoint reads.
    public var formats: Set<ImageFormat>

    public static let tenMiB = 10 * 1024 * 1024

    public static func of(_ kind: EngineKind) -> EndpointLimits {
        switch kind {
        case .fast:
            return EndpointLimits(minSide: 32, maxSide: 1536, minPixels: 1024, maxPixels: 1_048_576, maxAspect: nil,
                                  maxRequestBytes: tenMiB, maxOutputPixels: 16_777_216, formats: [.jpeg, .png, .webp])
        case .conservative:
            return EndpointLimits(minSide: 64, maxSide: nil, minPixels: 4096, maxPixels: 9_437_184, maxAspect: 2.5,
                                  maxRequestBytes: tenMiB, maxOutputPixels: nil, formats: [.jpeg, .png, .webp])
        case .creative:
            return EndpointLimits(minSide: 64, maxSide: nil, minPixels: 4096, maxPixels: 1_048_576, maxAspect: nil,
                                  maxRequestBytes: tenMiB, maxOutputPixels: nil, formats: [.jpeg, .png, .webp])
        case .v1(let id):
            let latent = id.contains("latent")
            return EndpointLimits(minSide: 1, maxSide: nil, minPixels: 1, maxPixels: latent ? 393_216 : 1_048_576,
                                  maxAspect: nil, maxRequestBytes: tenMiB, maxOutputPixels: 4_194_304,
                                  formats: [.jpeg, .png, .webp])
        case .local, .ai:
            return EndpointLimits(minSide: 1, maxSide: nil, minPixels: 1, maxPixels: Int.max, maxAspect: nil,
                                  maxRequestBytes: Int.max, maxOutputPixels: nil, formats: Set(ImageFormat.allCases))
        }
    }

    /// Why an input of this size, byte count and format cannot be sent, or nil when it can.
    /// `outputPixels` is what the request would ask for (v1), when known.
    public func violation(width: Int, height: Int, bytes: Int, format: ImageFormat, outputPixels: Int? = nil) -> String? {
        let pixels = width * height
        if !formats.contains(format) {
            return "the API reads only \(formats.map(\.rawValue).sorted().joined(separator: ", ")), not \(format.rawValue)"
        }
        if min(width, height) < minSide { return "\(width)x\(height) has a side under \(minSide) px" }
        if let maxSide, max(width, height) > maxSide { return "\(width)x\(height) has a side over \(maxSide) px" }
        if pixels < minPixels { return "\(width)x\(height) is \(pixels) pixels, under the minimum of \(minPixels)" }
        if pixels > maxPixels { return "\(width)x\(height) is \(pixels) pixels, over the maximum of \(maxPixels)" }
        if let maxAspect {
            let ratio = Double(max(width, height)) / Double(min(width, height))
            if ratio > maxAspect { return "\(width)x\(height) has an aspect ratio over \(maxAspect):1" }
        }
        if let maxOutputPixels, let outputPixels, outputPixels > maxOutputPixels {
            return "the result would be \(outputPixels) pixels, over the maximum of \(maxOutputPixels)"
        }
        // The multipart envelope adds well under 64 KiB of fields and headers.
        if bytes + 65_536 > maxRequestBytes { return "the file is \(bytes) bytes; with the request it would exceed the 10 MiB limit" }
        return nil
    }

    /// The largest size within the pixel and side limits with the same aspect (for fitting).
    public func fitted(width: Int, height: Int) -> (width: Int, height: Int) {
        var scale = 1.0
        let pixels = Double(width * height)
        if pixels > Double(maxPixels) { scale = min(scale, (Double(maxPixels) / pixels).squareRoot()) }
        if let maxSide { scale = min(scale, Double(maxSide) / Double(max(width, height))) }
        let w = max(1, Int((Double(width) * scale).rounded(.down)))
        let h = max(1, Int((Double(height) * scale).rounded(.down)))
        return (w, h)
    }
}
