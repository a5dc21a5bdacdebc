import Foundation
import Logging
import SystemPackage
import Testing
import UpscaledLinux
import UpscaledTestSupport

/// sd_notify through libsystemd into a real datagram socket. The environment is process-wide,
/// so this suite is serialised.
@Suite(.serialized) struct SystemdNotifierTests {
    @Test func sendsToNotifySocket() async throws {
        let temp = TempDirectory()
        let socket = try NotifySocket(directory: temp.path)
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = SystemdNotifier()
        #expect(notifier.isSupervised)
        #expect(try notifier.send([("READY", "1"), ("STATUS", "idle")]) == true)
        let message = await socket.waitFor { $0.contains("READY=1") }
        #expect(message == "READY=1\nSTATUS=idle")
        notifier.reloading()
        let reloading = await socket.waitFor { $0.hasPrefix("RELOADING=1") }
        #expect(reloading?.contains("MONOTONIC_USEC=") == true)
    }

    @Test func withoutNotifySocketItIsANoOp() throws {
        unsetenv("NOTIFY_SOCKET")
        let notifier = SystemdNotifier()
        #expect(!notifier.isSupervised)
        #expect(try notifier.send([("READY", "1")]) == false)
        #expect(notifier.watchdogInterval() == nil)
    }

    @Test func watchdogIntervalComesFromTheEnvironment() {
        setenv("WATCHDOG_USEC", "4000000", 1)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        defer { unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID") }
        #expect(SystemdNotifier().watchdogInterval() == .seconds(4))
    }

    @Test func journalFieldsAreNamedForJournalctl() {
        let fields = JournalLogHandler.fields(level: .warning, message: "failed a.png",
                                              metadata: ["upscaled.outcome": "failed", "upscaled.file": "a.png"],
                                              label: "upscaled", source: "x")
        #expect(fields.contains("MESSAGE=failed a.png"))
        #expect(fields.contains("PRIORITY=4"))
        #expect(fields.contains("UPSCALED_OUTCOME=failed"))
        #expect(fields.contains("UPSCALED_FILE=a.png"))
        #expect(JournalLogHandler.fieldName("_x.y-z") == "X_Y_Z")
        #expect(JournalLogHandler.fieldName("9lives") == "F9LIVES")
    }

    @Test func stderrIsNotTheJournalHere() {
        setenv("JOURNAL_STREAM", "1:2", 1)
        defer { unsetenv("JOURNAL_STREAM") }
        #expect(JournalLogHandler.stderrIsJournal() == false)
    }
}
