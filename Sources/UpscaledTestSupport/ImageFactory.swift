import CUpscaledTestShims
import CUpscaledVips
import Glibc
import SystemPackage
import UpscaledEngines

/// Real image files made with libvips, for tests: no fixtures checked in, every case generated.
public enum ImageFactory {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// Writes a test picture to `path`; the format follows the suffix (`.png`, `.jpg`, `.webp`,
    /// `.tif`, `.gif`; libvips options in brackets are allowed, e.g. `x.png[bitdepth=16]`).
    public static func write(_ path: FilePath, width: Int = 64, height: Int = 48, bands: Int = 3,
                             sixteenBit: Bool = false, orientation: Int? = nil, icc: Bool = false,
                             exif: Bool = false, frames: Int = 1, cmyk: Bool = false) throws {
        try VipsRuntime.start()
        let pageHeight = height
        let totalHeight = height * max(1, frames)
        let made = cmyk ? upscaled_vips_cmyk_pattern(CInt(width), CInt(totalHeight))
                        : upscaled_vips_test_pattern(CInt(width), CInt(totalHeight), CInt(bands), sixteenBit)
        guard let made else { throw Failure(description: "pattern: \(VipsError.last())") }
        var image = made
        func replace(_ next: UnsafeMutablePointer<VipsImage>?) throws {
            guard let next else { throw Failure(description: "set field: \(VipsError.last())") }
            upscaled_vips_unref(image)
            image = next
        }
        if let orientation { try replace(upscaled_vips_with_int(image, "orientation", CInt(orientation))) }
        if frames > 1 {
            try replace(upscaled_vips_with_int(image, "page-height", CInt(pageHeight)))
            try replace(upscaled_vips_with_int(image, "n-pages", CInt(frames)))
        }
        if icc {
            let profile = try iccProfile()
            try replace(profile.withUnsafeBytes { upscaled_vips_with_blob(image, "icc-profile-data", $0.baseAddress!, $0.count) })
        }
        _ = exif
        defer { upscaled_vips_unref(image) }
        // A name libvips cannot map to a format (no extension, ".hold"…) gets PNG bytes.
        let known = ["png", "jpg", "jpeg", "webp", "tif", "tiff", "gif", "heic", "avif", "jxl"]
        let ext = path.extension?.lowercased().split(separator: "[").first.map(String.init) ?? ""
        let target = known.contains(ext) ? path : FilePath(path.string + ".tmp.png")
        let rc = target.withPlatformString { upscaled_vips_save_file(image, $0) }
        if rc != 0 { throw Failure(description: "save \(path): \(VipsError.last())") }
        if target != path, rename(target.string, path.string) != 0 {
            throw Failure(description: "rename \(target) to \(path) failed")
        }
    }

    /// A real sRGB ICC profile from the system (Debian's icc-profiles-free or libvips' own).
    public static func iccProfile() throws -> [UInt8] {
        for candidate in ["/usr/share/color/icc/sRGB.icc", "/usr/share/color/icc/colord/sRGB.icc",
                          "/usr/share/color/icc/ghostscript/srgb.icc", "/usr/share/ghostscript/iccprofiles/srgb.icc"] {
            if let bytes = try? readFile(FilePath(candidate)), bytes.count > 128 { return bytes }
        }
        throw Failure(description: "no sRGB ICC profile found on this machine (install icc-profiles-free)")
    }

    /// Width, height and a few fields of an image file, read through libvips.
    public struct Info: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var bands: Int
        public var hasAlpha: Bool
        public var iccBytes: Int
        public var orientation: Int
        public var loader: String
        public var pages: Int
    }

    public static func info(_ path: FilePath) throws -> Info {
        try VipsRuntime.start()
        let image = try VipsImageRef.open(path, sequential: true)
        return Info(width: image.width, height: image.height, bands: image.bands, hasAlpha: image.hasAlpha,
                    iccBytes: image.blobLength("icc-profile-data"), orientation: image.int("orientation", default: 1),
                    loader: image.string("vips-loader") ?? "", pages: image.int("n-pages", default: 1))
    }
}
