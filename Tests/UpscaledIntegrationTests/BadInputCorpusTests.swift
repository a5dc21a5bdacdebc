import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// A corpus of awkward inputs, each generated here, each with the destination and reason it
/// must get. The daemon must stay up throughout and file every one deliberately.
@Suite struct BadInputCorpusTests {
    enum Expect: Equatable {
        case done(String)              // result name in the outbox
        case failed(String)            // reason code
        case ignored                   // left in the inbox untouched
    }

    struct Case: Sendable {
        var name: String
        var expect: Expect
        var make: @Sendable (FilePath, FilePath) throws -> Void     // (path to create, scratch folder)
    }

    static func image(_ width: Int = 48, _ height: Int = 32, bands: Int = 3, sixteenBit: Bool = false,
                      orientation: Int? = nil, icc: Bool = false, frames: Int = 1, cmyk: Bool = false)
        -> @Sendable (FilePath, FilePath) throws -> Void {
        { path, _ in try ImageFactory.write(path, width: width, height: height, bands: bands, sixteenBit: sixteenBit,
                                            orientation: orientation, icc: icc, frames: frames, cmyk: cmyk) }
    }

    static func bytes(_ content: [UInt8]) -> @Sendable (FilePath, FilePath) throws -> Void {
        { path, _ in try writeFile(path, content) }
    }

    static func truncated(_ suffix: String, keep: Double) -> @Sendable (FilePath, FilePath) throws -> Void {
        { path, scratch in
            let whole = scratch.appending("whole-\(UUID().uuidString)\(suffix)")
            try ImageFactory.write(whole, width: 300, height: 300)
            let all = try readFile(whole)
            try writeFile(path, Array(all.prefix(Int(Double(all.count) * keep))))
        }
    }

    static let cases: [Case] = [
        Case(name: "plain.png", expect: .done("plain.png"), make: image()),
        Case(name: "photo.jpg", expect: .done("photo.png"), make: image()),
        Case(name: "modern.webp", expect: .done("modern.png"), make: image()),
        Case(name: "scan.tif", expect: .done("scan.png"), make: image()),
        Case(name: "still.gif", expect: .done("still.png"), make: image()),
        Case(name: "deep16.png", expect: .done("deep16.png"), make: image(sixteenBit: true)),
        Case(name: "grey.png", expect: .done("grey.png"), make: image(bands: 1)),
        Case(name: "grey-alpha.png", expect: .done("grey-alpha.png"), make: image(bands: 2)),
        Case(name: "rgba.png", expect: .done("rgba.png"), make: image(bands: 4)),
        Case(name: "palette-alpha.png", expect: .done("palette-alpha.png"), make: { path, scratch in
            let staged = scratch.appending("palette-\(UUID().uuidString).png")
            try ImageFactory.write(FilePath(staged.string + "[palette]"), bands: 4)
            try FileManager.default.moveItem(atPath: staged.string, toPath: path.string)
        }),
        Case(name: "rotated.jpg", expect: .done("rotated.png"), make: image(orientation: 6)),
        Case(name: "profiled.jpg", expect: .done("profiled.png"), make: image(icc: true)),
        Case(name: "cmyk.jpg", expect: .done("cmyk.png"), make: image(cmyk: true)),
        Case(name: "jpeg-named.png", expect: .done("jpeg-named.png"), make: { path, scratch in
            let real = scratch.appending("real-\(UUID().uuidString).jpg")
            try ImageFactory.write(real)
            try writeFile(path, try readFile(real))
        }),
        Case(name: "no-extension", expect: .done("no-extension.png"), make: image()),
        Case(name: "one-pixel.png", expect: .done("one-pixel.png"), make: image(1, 1)),
        Case(name: "animated.gif", expect: .failed("animated"), make: image(32, 32, frames: 3)),
        Case(name: "empty.png", expect: .failed("empty"), make: bytes([])),
        Case(name: "text.png", expect: .failed("not-an-image"), make: bytes(Array("hello, world\n".utf8))),
        Case(name: "random.jpg", expect: .failed("not-an-image"), make: bytes((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) })),
        Case(name: "doc.pdf", expect: .failed("not-an-image"), make: bytes(Array("%PDF-1.4\n1 0 obj\n".utf8))),
        Case(name: "vector.svg", expect: .failed("not-an-image"), make: bytes(Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8))),
        Case(name: "archive.zip", expect: .failed("not-an-image"), make: bytes([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0])),
        Case(name: "bitmap.bmp", expect: .failed("not-an-image"), make: bytes(Array("BM".utf8) + [UInt8](repeating: 0, count: 60))),
        Case(name: "clip.mp4", expect: .failed("not-an-image"), make: bytes([0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [UInt8](repeating: 0, count: 20))),
        Case(name: "header-only.png", expect: .failed("undecodable"), make: bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])),
        Case(name: "half.png", expect: .failed("undecodable"), make: truncated(".png", keep: 0.5)),
        Case(name: "half.jpg", expect: .failed("undecodable"), make: truncated(".jpg", keep: 0.3)),
        Case(name: "huge-declared.png", expect: .failed("too-large"), make: { path, scratch in
            // A real PNG whose header declares 30000 x 30000 (900 MP): refused before decoding.
            let small = scratch.appending("small-\(UUID().uuidString).png")
            try ImageFactory.write(small, width: 8, height: 8)
            var bytes = try readFile(small)
            let be: (UInt32) -> [UInt8] = { [UInt8($0 >> 24), UInt8(($0 >> 16) & 0xFF), UInt8(($0 >> 8) & 0xFF), UInt8($0 & 0xFF)] }
            bytes.replaceSubrange(16..<24, with: be(30000) + be(30000))     // IHDR width and height
            bytes.replaceSubrange(29..<33, with: be(crc32(Array(bytes[12..<29]))))   // and a valid CRC
            try writeFile(path, bytes)
        }),
        Case(name: "link-out.png", expect: .failed("not-a-regular-file"), make: { path, _ in
            #expect(symlink("/etc/passwd", path.string) == 0)
        }),
        Case(name: "pipe.png", expect: .failed("not-a-regular-file"), make: { path, _ in
            #expect(mkfifo(path.string, 0o644) == 0)
        }),
        Case(name: "partial.png.part", expect: .ignored, make: image()),
        Case(name: ".hidden.png", expect: .ignored, make: image()),
        Case(name: String(repeating: "長", count: 80) + ".jpg", expect: .done(String(repeating: "長", count: 80) + ".png"), make: image()),
    ]

    @Test func everyAwkwardInputGoesWhereItShould() async throws {
        let h = try DaemonHarness()
        let scratch = h.home.path.appending("scratch")
        try FileManager.default.createDirectory(atPath: scratch.string, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: h.inbox.string, withIntermediateDirectories: true)
        let config = h.home.path.appending("c.toml")
        try writeFile(config, Array("max_input_pixels = 100000000\n".utf8))
        try await h.start(["--config", config.string])
        #expect(Self.cases.count >= 25)
        // Built outside, then moved in (a FIFO or symlink is created in place).
        for c in Self.cases {
            let staged = scratch.appending(c.name)
            try c.make(staged, scratch)
            #expect(rename(staged.string, h.inbox.appending(c.name).string) == 0, "\(c.name)")
        }
        let expectedFiled = Self.cases.filter { $0.expect != .ignored }.count
        let settled = await eventually(timeout: .seconds(90)) {
            // Done means result and archived original (the original moves after the result).
            let done = min(listFiles(h.outbox).count, listFiles(h.archive).count)
            let failed = listTree(h.failed).filter { !$0.hasSuffix(".json") }.count
            return done + failed >= expectedFiled
        }
        #expect(settled, "outbox \(listFiles(h.outbox)), failed \(listTree(h.failed))")
        #expect(h.daemon!.process.isRunning)                      // still up
        for c in Self.cases {
            switch c.expect {
            case .done(let result):
                #expect(exists(h.outbox.appending(result)), "\(c.name) should be upscaled; failed: \(listTree(h.failed))")
                #expect(exists(h.archive.appending(c.name)), "\(c.name) should be archived")
            case .failed(let code):
                #expect(exists(h.failed.appending(c.name)), "\(c.name) should be in failed/")
                let sidecar = try? JSONDecoder().decode(FailureSidecar.self, from: Data(readFile(h.failed.appending("\(c.name).json"))))
                #expect(sidecar?.code.rawValue == code, "\(c.name): \(sidecar?.reason ?? "no sidecar")")
            case .ignored:
                #expect(exists(h.inbox.appending(c.name)), "\(c.name) should be left alone")
            }
        }
        // Spot checks on what the good ones became.
        #expect(try ImageFactory.info(h.outbox.appending("rotated.png")).width == 64)      // 48x32 turned upright, 2x
        #expect(try ImageFactory.info(h.outbox.appending("rgba.png")).hasAlpha)
        #expect(try ImageFactory.info(h.outbox.appending("palette-alpha.png")).hasAlpha)
        #expect(try ImageFactory.info(h.outbox.appending("profiled.png")).iccBytes > 0)
        // The symlink's target was never touched or copied.
        #expect(try FileOperations_isSymlink(h.failed.appending("link-out.png")))
        #expect(await h.stop() == 0)
    }
}

/// PNG's CRC-32 (ISO 3309), for forging a header that declares a huge image.
private func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
}

private func FileOperations_isSymlink(_ path: FilePath) throws -> Bool {
    var st = stat()
    guard lstat(path.string, &st) == 0 else { return false }
    return (st.st_mode & S_IFMT) == S_IFLNK
}
