/// The image formats the local engine reads, decided from the first bytes of a file, never
/// from its name: a `holiday.png` that is really a JPEG is a JPEG, and a text file named
/// `.png` is not an image at all.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp, gif, tiff, heif, avif, jxl

    /// The usual file extension, without the dot.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .webp: "webp"
        case .gif: "gif"
        case .tiff: "tif"
        case .heif: "heic"
        case .avif: "avif"
        case .jxl: "jxl"
        }
    }

    /// How many leading bytes `sniff` needs to decide.
    public static let sniffLength = 32
}

/// What the first bytes of a file say it is.
public enum SniffResult: Sendable, Equatable {
    case image(ImageFormat)
    /// A recognised file that is not a supported image; the description names what it is.
    case unsupported(String)
    case empty
}

extension ImageFormat {
    /// Decides a file's type from its magic bytes.
    public static func sniff(_ head: some Collection<UInt8>) -> SniffResult {
        let b = Array(head.prefix(sniffLength))
        if b.isEmpty { return .empty }
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + magic.count && Array(b[offset..<offset + magic.count]) == magic
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { starts(Array(text.utf8), at: offset) }

        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .image(.png) }
        if starts([0xFF, 0xD8, 0xFF]) { return .image(.jpeg) }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return .image(.webp) }
        if ascii("GIF87a") || ascii("GIF89a") { return .image(.gif) }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .image(.tiff) }
        if starts([0xFF, 0x0A]) || starts([0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) {
            return .image(.jxl)
        }
        if ascii("ftyp", at: 4), b.count >= 12 {
            let brand = String(decoding: b[8..<12], as: UTF8.self)
            if brand == "avif" || brand == "avis" { return .image(.avif) }
            if ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].contains(brand) { return .image(.heif) }
            return .unsupported("an ISO media file (brand \(brand)), probably a video")
        }
        if ascii("%PDF") { return .unsupported("a PDF document") }
        if ascii("BM") { return .unsupported("a BMP image, which this engine does not read") }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .unsupported("a ZIP archive") }
        if starts([0x1F, 0x8B]) { return .unsupported("a gzip archive") }
        let text = String(decoding: b, as: UTF8.self).lowercased()
        if text.contains("<svg") || text.hasPrefix("<?xml") { return .unsupported("an SVG or XML document (vector images are not read)") }
        if b.allSatisfy({ $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || (0x20..<0x7F).contains($0) || $0 >= 0x80 }) {
            return .unsupported("a text file")
        }
        return .unsupported("not a recognised image format")
    }
}
