import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Checks that a result really is what the engine claims before it counts: it must decode and
/// have the promised size (an engine that "succeeds" with no usable output is Upscayl #867).
public enum ResultVerifier {
    /// Reads the header of the file behind `temp` (named or not). Cheap: no pixels are decoded.
    public static func verify(_ temp: TempFile, expectedWidth: Int, expectedHeight: Int) throws(UpscaleFailure) {
        do {
            try VipsRuntime.start()
            let image = try VipsImageRef.open(FilePath(temp.procPath), sequential: true)
            guard image.width == expectedWidth, image.height == expectedHeight else {
                throw UpscaleFailure(code: .badResult,
                                     reason: "the engine produced \(image.width)x\(image.height), expected \(expectedWidth)x\(expectedHeight)",
                                     disposition: .failInput)
            }
        } catch let error as VipsError {
            throw UpscaleFailure(code: .badResult, reason: "the engine's result does not decode: \(error.message)")
        } catch let error as UpscaleFailure {
            throw error
        } catch {
            throw UpscaleFailure(code: .badResult, reason: "\(error)")
        }
    }
}
