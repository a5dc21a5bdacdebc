import CUpscaledVips
import SystemPackage

/// libvips on bytes in memory: reading an API's answer, converting it, fitting an input to an
/// endpoint's limits. Blocking: call from a pool thread.
public enum VipsBuffer {
    /// Size and format details of an encoded image.
    public struct Header: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var loader: String
    }

    public static func header(of bytes: [UInt8]) throws(VipsError) -> Header {
        try VipsRuntime.start()
        let result: Result<Header, VipsError> = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let image = upscaled_vips_open_buffer(base, raw.count) else {
                return .failure(VipsError.last("the image does not decode"))
            }
            let ref = VipsImageRef(OpaquePointer(image))
            return .success(Header(width: ref.width, height: ref.height, loader: ref.string("vips-loader") ?? ""))
        }
        return try result.get()
    }

    /// Decodes `bytes` fully and re-encodes them with `suffix` (".png", ".jpg[Q=92]", ".webp[Q=90]"),
    /// optionally resized to `size` first. The decode is complete, so a truncated answer fails here.
    public static func transcode(_ bytes: [UInt8], suffix: String, size: (width: Int, height: Int)? = nil)
        throws(VipsError) -> [UInt8]
    {
        try VipsRuntime.start()
        let result: Result<[UInt8], VipsError> = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let opened = upscaled_vips_open_buffer(base, raw.count) else {
                return .failure(VipsError.last("the image does not decode"))
            }
            var image = VipsImageRef(OpaquePointer(opened))
            if let size {
                var out: UnsafeMutablePointer<VipsImage>?
                guard upscaled_vips_resize_to(image.raw, &out, CInt(size.width), CInt(size.height)) == 0, let out else {
                    return .failure(VipsError.last("resize failed"))
                }
                image = VipsImageRef(OpaquePointer(out))
            }
            var data: UnsafeMutableRawPointer?
            var length = 0
            guard upscaled_vips_save_buffer(image.raw, suffix, &data, &length) == 0, let data else {
                return .failure(VipsError.last("encoding \(suffix) failed"))
            }
            defer { upscaled_free(data) }
            return .success(Array(UnsafeRawBufferPointer(start: data, count: length)))
        }
        return try result.get()
    }
}
