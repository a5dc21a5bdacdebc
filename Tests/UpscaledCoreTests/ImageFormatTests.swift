import Testing
import UpscaledCore

@Suite struct ImageFormatTests {
    @Test func recognisesImagesByMagicBytes() {
        #expect(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == .image(.png))
        #expect(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .image(.jpeg))
        #expect(ImageFormat.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .image(.webp))
        #expect(ImageFormat.sniff(Array("GIF89a".utf8)) == .image(.gif))
        #expect(ImageFormat.sniff([0x49, 0x49, 0x2A, 0x00]) == .image(.tiff))
        #expect(ImageFormat.sniff([0, 0, 0, 0x1C] + Array("ftypheic".utf8)) == .image(.heif))
        #expect(ImageFormat.sniff([0, 0, 0, 0x1C] + Array("ftypavif".utf8)) == .image(.avif))
        #expect(ImageFormat.sniff([0xFF, 0x0A]) == .image(.jxl))
    }

    @Test func namesWhatIsNotAnImage() {
        #expect(ImageFormat.sniff([]) == .empty)
        #expect(ImageFormat.sniff(Array("hello, this is text\n".utf8)) == .unsupported("a text file"))
        #expect(ImageFormat.sniff(Array("%PDF-1.7".utf8)) == .unsupported("a PDF document"))
        if case .unsupported(let what) = ImageFormat.sniff(Array("<svg xmlns=".utf8)) {
            #expect(what.contains("SVG"))
        } else {
            Issue.record("SVG not recognised")
        }
        if case .unsupported(let what) = ImageFormat.sniff([0, 0, 0, 0x18] + Array("ftypmp42".utf8)) {
            #expect(what.contains("video"))
        } else {
            Issue.record("MP4 not recognised")
        }
        #expect(ImageFormat.sniff([0x00, 0x01, 0x02, 0x03, 0x04]) == .unsupported("not a recognised image format"))
    }

    @Test func outputFormatSameFallsBackToPNG() {
        #expect(OutputFormat.same.resolved(for: .jpeg) == .jpeg)
        #expect(OutputFormat.same.resolved(for: .webp) == .webp)
        #expect(OutputFormat.same.resolved(for: .gif) == .png)
        #expect(OutputFormat.same.resolved(for: .heif) == .png)
        #expect(OutputFormat.jpeg.resolved(for: .png) == .jpeg)
    }
}
