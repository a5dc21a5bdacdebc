import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// The first look at an input's content, shared by the daemon's jobs and `upscaled upscale`:
/// its type is decided by its magic bytes, never by its name.
enum InputSniff {
    /// The input's format. - Throws: `UpscaleFailure` (`empty`, `not-an-image`) when it is no
    /// image we take, with a reason naming it as `name`; `SystemCallError` when it cannot be read.
    static func format(of path: FilePath, name: String) throws -> ImageFormat {
        switch ImageFormat.sniff(try FileOperations.readHead(path, count: ImageFormat.sniffLength)) {
        case .image(let format):
            return format
        case .empty:
            throw UpscaleFailure(code: .empty, reason: "\(name) is empty (0 bytes)")
        case .unsupported(let what):
            throw UpscaleFailure(code: .notAnImage,
                                 reason: "\(name) is \(what); supported: PNG, JPEG, WebP, GIF, TIFF, HEIF, AVIF, JPEG XL")
        }
    }
}
