import UpscaledCore

/// The qualities the user chose (`jpeg_quality`, `webp_quality`), for every conversion the cloud
/// engines make: an answer in another format than the one asked for, an input fitted to the API.
struct EncodeQuality: Sendable, Equatable {
    var jpeg: Int
    var webp: Int

    init(config: DaemonConfig) {
        jpeg = config.jpegQuality
        webp = config.webpQuality
    }

    /// The libvips save suffix for `format`.
    func vipsSuffix(_ format: ImageFormat) -> String {
        switch format {
        case .jpeg: ".jpg[Q=\(jpeg)]"
        case .webp: ".webp[Q=\(webp)]"
        default: ".png[compression=1,filter=all]"
        }
    }
}

extension ImageFormat {
    static func fromLoader(_ loader: String) -> ImageFormat? {
        if loader.hasPrefix("png") { return .png }
        if loader.hasPrefix("jpeg") { return .jpeg }
        if loader.hasPrefix("webp") { return .webp }
        return nil
    }
}
