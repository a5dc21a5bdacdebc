import Foundation
import SystemPackage
import Testing
import UpscaledCore
import UpscaledEngines
import UpscaledLinux
import UpscaledTestSupport

/// The page's previews: small, made once per version of a file, bounded, gone with their file.
@Suite struct ThumbnailerTests {
    @Test func aPhotoGetsASmallWebPMadeOnceAndRemadeWhenItChanges() async throws {
        let temp = TempDirectory("upscaled-thumbs")
        let photo = temp.appending("chelsea.png")
        try FileManager.default.copyItem(atPath: try RealImages.path("chelsea.png").string, toPath: photo.string)
        let thumbnails = Thumbnailer(cache: temp.appending("thumbs"))
        let bytes = try await thumbnails.thumbnail(of: photo)
        let header = try VipsBuffer.header(of: bytes)
        #expect(header.loader.hasPrefix("webp") && max(header.width, header.height) == Thumbnailer.side)
        #expect(listFiles(temp.appending("thumbs")).count == 1)
        #expect(try await thumbnails.thumbnail(of: photo) == bytes)                          // from the cache
        try ImageFactory.write(photo, width: 900, height: 300)                             // another picture, same name
        let changed = try await thumbnails.thumbnail(of: photo)
        #expect(try VipsBuffer.header(of: changed).width == Thumbnailer.side && changed != bytes)
        thumbnails.forget(photo)
        #expect(listFiles(temp.appending("thumbs")).count == 1)                            // only the stale one is left
    }

    @Test func theCacheStaysBoundedAndABrokenFileGetsNone() async throws {
        let temp = TempDirectory("upscaled-thumbs")
        let thumbnails = Thumbnailer(cache: temp.appending("thumbs"), maximumFiles: 4)
        for n in 0..<9 {
            let file = temp.appending("p\(n).png")
            try ImageFactory.write(file, width: 40 + n, height: 30)
            _ = try await thumbnails.thumbnail(of: file)
        }
        #expect(listFiles(temp.appending("thumbs")).count <= 4)
        try writeFile(temp.appending("broken.png"), Array("not an image".utf8))
        await #expect(throws: VipsError.self) { try await thumbnails.thumbnail(of: temp.appending("broken.png")) }
    }
}
