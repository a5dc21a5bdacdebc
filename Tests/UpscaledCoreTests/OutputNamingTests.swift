import SystemPackage
import Testing
import UpscaledCore

@Suite struct OutputNamingTests {
    func name(_ text: String) -> FilePath.Component { FilePath.Component(text)! }

    @Test func swapsExtensionAndNumbersClashes() {
        #expect(OutputNaming.candidate(for: name("holiday.jpg"), newExtension: "png", attempt: 0).string == "holiday.png")
        #expect(OutputNaming.candidate(for: name("holiday.jpg"), newExtension: "png", attempt: 2).string == "holiday (2).png")
        #expect(OutputNaming.candidate(for: name("noext"), newExtension: "png", attempt: 0).string == "noext.png")
        #expect(OutputNaming.candidate(for: name("a.b.jpg"), newExtension: nil, attempt: 1).string == "a.b (1).jpg")
        #expect(OutputNaming.candidate(for: name("noext"), newExtension: nil, attempt: 3).string == "noext (3)")
    }

    @Test func longNamesAreShortenedWithAHashAndStayUnique() {
        let long = String(repeating: "写真", count: 50) + ".jpg"            // 304 bytes
        #expect(long.utf8.count > 255)
        let first = OutputNaming.candidate(for: name(long), newExtension: "png", attempt: 0)
        let second = OutputNaming.candidate(for: name(long), newExtension: "png", attempt: 1)
        let other = OutputNaming.candidate(for: name(String(repeating: "写真", count: 49) + "x.jpg"), newExtension: "png", attempt: 0)
        #expect(first.bytes.count <= 255)
        #expect(second.bytes.count <= 255)
        #expect(first != second)
        #expect(first != other)
        #expect(first.string.hasSuffix(".png"))
        #expect(String(validating: first.bytes, as: UTF8.self) != nil)     // never cut inside a character
    }

    @Test func sidecarNames() {
        #expect(OutputNaming.sidecar(for: name("a.png")).string == "a.png.json")
        let long = FilePath.Component(String(repeating: "x", count: 255))!
        #expect(OutputNaming.sidecar(for: long).bytes.count <= 255)
        #expect(OutputNaming.sidecar(for: long).string.hasSuffix(".json"))
    }

    @Test func nonUTF8BytesSurvive() {
        let raw: [UInt8] = [0xC3, 0x28, 0x2E, 0x6A, 0x70, 0x67]              // invalid UTF-8 then ".jpg"
        let result = OutputNaming.candidate(for: FilePath.Component(bytes: raw)!, newExtension: "png", attempt: 0)
        #expect(result.bytes == [0xC3, 0x28] + Array(".png".utf8))
    }
}
