import SystemPackage
import Testing
import UpscaledCore

@Suite struct IgnoreRulesTests {
    let rules = IgnoreRules()

    @Test(arguments: [
        ".hidden.jpg", ".photo.jpg.a1B2c3", "._photo.jpg", ".DS_Store", ".nfs000000000123", ".syncthing.a.jpg.tmp",
        "~$report.png", "photo.jpg~", "photo.jpg.part", "photo.JPG.crdownload", "x.tmp", "y.filepart",
        "z.download", "Thumbs.db", "desktop.ini", "@eaDir", ".upscaled",
    ])
    func ignoresTemporaryAndLitterNames(_ name: String) {
        #expect(rules.ignores(FilePath.Component(name)!))
    }

    @Test(arguments: ["holiday.jpg", "scan 001.png", "ファイル.png", "photo.jpeg", "part.png", "tmp.jpg", "notes.txt"])
    func keepsOrdinaryNames(_ name: String) {
        #expect(!rules.ignores(FilePath.Component(name)!))
    }

    @Test func extraSuffixesFromConfig() {
        let custom = IgnoreRules(extraSuffixes: [".inprogress"])
        #expect(custom.ignores(FilePath.Component("a.png.INPROGRESS")))
        #expect(!custom.ignores(FilePath.Component("a.png")))
    }

    @Test func nonUTF8NamesAreBytesNotErrors() {
        let name = FilePath.Component(bytes: [0x66, 0xFF, 0x2E, 0x6A, 0x70, 0x67])!   // "f\xFF.jpg"
        #expect(!rules.ignores(name))
        #expect(name.bytes == [0x66, 0xFF, 0x2E, 0x6A, 0x70, 0x67])
    }
}
