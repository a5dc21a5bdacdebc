import CUpscaledTestShims
import CUpscaledVips
import Foundation
import SystemPackage
import UpscaledEngines

/// Photographs and drawings nobody here made: the public-domain samples of scikit-image, installed
/// by `packaging/install-test-images` (part of `packaging/install-deps --test`), and variants of
/// them made with libvips (crops, grey, 16-bit, alpha).
public enum RealImages {
    public struct Missing: Error, CustomStringConvertible { public var description: String }

    static var directories: [String] {
        [ProcessInfo.processInfo.environment["UPSCALED_TEST_IMAGES"], "/usr/local/share/upscaled/test-images",
         "/usr/share/upscaled/test-images"].compactMap { $0 }
    }

    /// The path of a sample image (`chelsea.png`, `camera.png`, `logo.png`…).
    public static func path(_ name: String) throws -> FilePath {
        for directory in directories where FileManager.default.fileExists(atPath: directory + "/" + name) {
            return FilePath(directory).appending(name)
        }
        throw Missing(description: "sample image \(name) not found in \(directories.joined(separator: ", ")); run packaging/install-deps --test")
    }

    /// A variant of a sample image written to `output` (format from its suffix, libvips options
    /// allowed, e.g. `x.png[bitdepth=16]`): cropped, then converted to `space` if given.
    public static func variant(of name: String, to output: FilePath, crop: (x: Int, y: Int, width: Int, height: Int)? = nil,
                               space: VipsInterpretation? = nil) throws {
        try VipsRuntime.start()
        var image = try VipsImageRef.open(try path(name), sequential: false)
        if let crop {
            var out: UnsafeMutablePointer<VipsImage>?
            guard upscaled_vips_crop(image.raw, &out, CInt(crop.x), CInt(crop.y), CInt(crop.width), CInt(crop.height)) == 0,
                  let out else { throw Missing(description: "crop: \(VipsError.last())") }
            image = VipsImageRef(OpaquePointer(out))
        }
        if let space {
            var out: UnsafeMutablePointer<VipsImage>?
            guard upscaled_vips_colourspace(image.raw, &out, space) == 0, let out else {
                throw Missing(description: "colourspace: \(VipsError.last())")
            }
            image = VipsImageRef(OpaquePointer(out))
        }
        try image.save(to: output.string)
    }

    /// The largest difference of any sample between two images of the same size and bands.
    public static func maxDifference(_ a: FilePath, _ b: FilePath) throws -> Double {
        try VipsRuntime.start()
        let x = try VipsImageRef.open(a, sequential: false), y = try VipsImageRef.open(b, sequential: false)
        var value = 0.0
        guard upscaled_vips_max_abs_diff(x.raw, y.raw, &value) == 0 else { throw Missing(description: "compare: \(VipsError.last())") }
        return value
    }
}
