import Testing
import UpscaledLinux

/// A file's name ends up in log lines: whatever it holds, it stays on its own line.
@Suite struct ConsoleLogHandlerTests {
    @Test func aNameCannotForgeALogLineOrDriveATerminal() {
        let name = "evil\n2026-12-07 02:00:00 critical FAKE: the disk is on fire\r\u{1B}[2J.png"
        let line = ConsoleLogHandler.oneLine("filed \(name)")
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{1B}"))
        #expect(line == "filed evil\\n2026-12-07 02:00:00 critical FAKE: the disk is on fire\\r\\u{1B}[2J.png")
        #expect(ConsoleLogHandler.oneLine("plain\tname é.png") == "plain\tname é.png")
    }
}
