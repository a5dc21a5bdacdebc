import CUpscaledVips
import SystemPackage
import UpscaledCore

/// Owns one `VipsImage*` reference and releases it exactly once. Not `Sendable`: an image lives
/// and dies on the pool thread that made it.
public final class VipsImageRef {
    public let pointer: OpaquePointer

    /// Takes ownership of one reference to a `VipsImage*`.
    public init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { upscaled_vips_unref(UnsafeMutablePointer(pointer)) }

    public var raw: UnsafeMutablePointer<VipsImage> { UnsafeMutablePointer(pointer) }

    /// Opens a file lazily (only the header is read until pixels are needed).
    public static func open(_ path: FilePath, sequential: Bool) throws(VipsError) -> VipsImageRef {
        // Exact bytes: a non-UTF-8 name must reach open(2) unchanged.
        guard let image = path.withPlatformString({ upscaled_vips_open($0, sequential) }) else {
            throw VipsError.last("cannot open \(path.display)")
        }
        return VipsImageRef(OpaquePointer(image))
    }

    public var width: Int { Int(vips_image_get_width(raw)) }
    public var height: Int { Int(vips_image_get_height(raw)) }
    public var bands: Int { Int(upscaled_vips_bands(raw)) }
    public var hasAlpha: Bool { upscaled_vips_has_alpha(raw) }
    public func int(_ field: String, default fallback: Int) -> Int { Int(upscaled_vips_get_int(raw, field, CInt(fallback))) }
    public func blobLength(_ field: String) -> Int { Int(upscaled_vips_blob_length(raw, field)) }
    public func string(_ field: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard upscaled_vips_get_string(raw, field, &buffer, 256) else { return nil }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs a libvips operation of the shape `op(in, &out) -> int`.
    func derive(_ what: String, _ op: (UnsafeMutablePointer<VipsImage>, UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> CInt)
        throws(VipsError) -> VipsImageRef
    {
        var out: UnsafeMutablePointer<VipsImage>?
        guard op(raw, &out) == 0, let out else { throw VipsError.last("\(what) failed") }
        return VipsImageRef(OpaquePointer(out))
    }

    public func autorotated() throws(VipsError) -> VipsImageRef { try derive("autorot") { upscaled_vips_autorot($0, $1) } }
    public func resized(h: Double, v: Double) throws(VipsError) -> VipsImageRef {
        try derive("resize") { upscaled_vips_resize($0, $1, h, v) }
    }
    public func flattenedOnWhite() throws(VipsError) -> VipsImageRef { try derive("flatten") { upscaled_vips_flatten_white($0, $1) } }

    /// Writes to a path; the format follows the suffix (`.png`, `.jpg[Q=90]`, `.tif`…).
    public func save(to path: String) throws(VipsError) {
        guard upscaled_vips_save_file(raw, path) == 0 else { throw VipsError.last("cannot save \(path)") }
    }
}
