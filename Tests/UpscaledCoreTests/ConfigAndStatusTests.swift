import SystemPackage
import Testing
import UpscaledCore

@Suite struct ConfigAndStatusTests {
    @Test func defaultsAreValid() throws {
        let config = DaemonConfig(root: "/srv/up")
        try config.validate()
        #expect(config.inbox == "/srv/up/inbox")
        #expect(config.claims == "/srv/up/inbox/.upscaled/hosts/local/claims")
        #expect(config.target == .scale(2))
        #expect(config.outputFormat == .png)
    }

    enum BadValue: CaseIterable, Sendable {
        case smallScale, bigScale, noWorkers, unknownEngine, jpegQuality, logLevel

        func apply(_ c: inout DaemonConfig) -> String {
            switch self {
            case .smallScale: c.target = .scale(1.5); return "scale 1.5"
            case .bigScale: c.target = .scale(9); return "scale 9.0"
            case .noWorkers: c.workers = 0; return "workers 0"
            case .unknownEngine: c.engine = "no such engine!"; return "engine 'no such engine!'"
            case .jpegQuality: c.jpegQuality = 101; return "jpeg_quality 101"
            case .logLevel: c.logLevel = "loud"; return "log_level 'loud'"
            }
        }
    }

    @Test(arguments: BadValue.allCases)
    func invalidValuesNameTheKey(_ bad: BadValue) {
        var config = DaemonConfig(root: "/srv/up")
        let expected = bad.apply(&config)
        do {
            try config.validate()
            Issue.record("\(bad) was accepted")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func targetSizes() {
        let two = UpscaleTarget.scale(2).outputSize(width: 640, height: 480)
        #expect(two.width == 1280 && two.height == 960)
        let fit = UpscaleTarget.fitWidth(1000).outputSize(width: 300, height: 200)
        #expect(fit.width == 1000 && fit.height == 667)
        let tall = UpscaleTarget.fitHeight(900).outputSize(width: 300, height: 200)
        #expect(tall.width == 1350 && tall.height == 900)
        #expect(UpscaleTarget.scale(2).summary == "2x")
        #expect(UpscaleTarget.scale(2.5).summary == "2.5x")
    }

    @Test func statusLineSaysWhatMatters() {
        var snapshot = StatusSnapshot(pid: 1, state: .working, mode: "inotify", engine: "local", target: "2x",
                                      queued: 3, inFlight: 2, done: 10, failed: 1, startedAt: "t", updatedAt: "t")
        #expect(snapshot.line == "working: 3 queued, 2 working; done 10, failed 1, quarantined 0; local 2x, inotify")
        snapshot.overflows = 2
        snapshot.lastError = "x.png is a text file"
        #expect(snapshot.line.hasSuffix(", 2 overflow rescans; last error: x.png is a text file"))
    }
}
