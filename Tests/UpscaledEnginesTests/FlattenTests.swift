import SystemPackage
import Testing
@testable import UpscaledEngines
import UpscaledTestSupport

/// Flattening transparency onto white (for JPEG output), on images with any number of bands.
@Suite struct FlattenTests {
    /// Issue 10, defect 4: the background was read from a 4-element array, so an image with more
    /// than five bands got whatever lay beyond it for its fifth colour band and on.
    @Test func everyColourBandOfAManyBandImageBecomesWhiteWhereTransparent() throws {
        try VipsRuntime.start()
        let temp = TempDirectory()
        let path = temp.appending("pattern.v")
        try ImageFactory.write(path, width: 64, height: 16, bands: 4)      // x ramp, y ramp, wave, alpha
        let pattern = try VipsImageRef.open(path, sequential: false)
        // Six bands: x, y, wave, y, wave, then x as the alpha: fully transparent in column 0.
        let six = try pattern.bands(from: 0, count: 3)
            .joined(with: pattern.bands(from: 1, count: 2))
            .joined(with: pattern.bands(from: 0, count: 1))
        #expect(six.bands == 6)
        let flat = try six.flattenedOnWhite()
        #expect(flat.bands == 5)
        let pixels = try flat.pixels()
        #expect(pixels.count == 64 * 16 * 5)
        for row in 0..<16 {
            let first = row * 64 * 5
            #expect(Array(pixels[first..<first + 5]) == [255, 255, 255, 255, 255], "row \(row)")
        }
    }
}
