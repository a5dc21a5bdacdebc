import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
@testable import UpscaledLinux
import UpscaledTestSupport

/// Real inotify on real temporary folders: no mocks.
@Suite struct InboxWatcherTests {
    /// Collects events until `predicate` holds for one of them, with a deadline.
    func next(_ watcher: InboxWatcher, timeout: Duration = .seconds(10),
              where predicate: @escaping @Sendable (WatchEvent) -> Bool) async -> WatchEvent? {
        await withTaskGroup(of: WatchEvent?.self) { group in
            group.addTask {
                for await event in watcher.events where predicate(event) { return event }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// What a descriptor number refers to now ("anon_inode:inotify", "pipe:[…]"), or nil if closed.
    func describe(_ fd: CInt) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
    }

    /// Issue 10, defect 5: the thread used to close both descriptors when it ended, so a later
    /// `stop()` (InboxService calls it twice) wrote 8 bytes into whatever reused the number.
    @Test func stopAfterTheStreamEndedNeverWritesToAClosedDescriptor() async throws {
        let temp = TempDirectory()
        let inbox = temp.appending("inbox")
        try FileOperations.makeDirectories(inbox)
        let watcher = try InboxWatcher(inbox: inbox, ignore: IgnoreRules())
        watcher.start()
        watcher.stop()
        for await _ in watcher.events {}                        // the thread has ended
        // The watcher still owns its descriptors: a second stop writes to its own eventfd.
        #expect(describe(watcher.wakeFD) == "anon_inode:[eventfd]")
        #expect(describe(watcher.inotifyFD) == "anon_inode:inotify")
        watcher.stop()
    }

    /// A watcher that was never started closes its descriptors when it goes away.
    @Test func aWatcherNeverStartedLeaksNoDescriptor() throws {
        let temp = TempDirectory()
        let inbox = temp.appending("inbox")
        try FileOperations.makeDirectories(inbox)
        var fds: (CInt, CInt) = (-1, -1)
        do {
            let watcher = try InboxWatcher(inbox: inbox, ignore: IgnoreRules())
            fds = (watcher.inotifyFD, watcher.wakeFD)
            #expect(describe(fds.0) == "anon_inode:inotify")
        }
        // Closed (or, if a test running beside this one took the number since, no longer ours).
        #expect(describe(fds.0) != "anon_inode:inotify" || describe(fds.1) != "anon_inode:[eventfd]")
    }

    @Test func reportsFilesMovedInAndWrittenInPlace() async throws {
        let temp = TempDirectory()
        let inbox = temp.appending("inbox")
        try FileOperations.makeDirectories(inbox)
        let watcher = try InboxWatcher(inbox: inbox, ignore: IgnoreRules())
        watcher.start()
        defer { watcher.stop() }

        try writeInPlace(temp.appending("outside.png"), [1, 2, 3])
        #expect(rename(temp.appending("outside.png").string, inbox.appending("moved.png").string) == 0)
        let moved = await next(watcher) { if case .movedIn = $0 { true } else { false } }
        #expect(moved == .movedIn("moved.png"))

        try writeInPlace(inbox.appending("written.png"), [4, 5, 6])
        let written = await next(watcher) { $0 == .closedAfterWrite("written.png") }
        #expect(written == .closedAfterWrite("written.png"))
    }

    @Test func ignoredNamesProduceNoEvents() async throws {
        let temp = TempDirectory()
        let inbox = temp.appending("inbox")
        try FileOperations.makeDirectories(inbox)
        let watcher = try InboxWatcher(inbox: inbox, ignore: IgnoreRules())
        watcher.start()
        defer { watcher.stop() }
        for name in [".hidden.png", "a.png.part", "Thumbs.db", "~$lock.png"] {
            try writeFile(inbox.appending(name), [0])
        }
        try writeFile(inbox.appending("real.png"), [0])      // written last: the only event expected
        let first = await next(watcher) { _ in true }
        #expect(first == .closedAfterWrite("real.png"))
    }

    @Test func newFoldersAreWatchedAndReportedForScanning() async throws {
        let temp = TempDirectory()
        let inbox = temp.appending("inbox")
        try FileOperations.makeDirectories(inbox.appending("existing"))
        let watcher = try InboxWatcher(inbox: inbox, ignore: IgnoreRules())
        #expect(watcher.watchCount == 2)                     // the inbox and the folder already there
        watcher.start()
        defer { watcher.stop() }

        try writeFile(inbox.appending("existing/a.png"), [1])
        let inExisting = await next(watcher) { if case .closedAfterWrite = $0 { true } else { false } }
        #expect(inExisting == .closedAfterWrite("existing/a.png"))

        // A whole tree moved in at once: one event for the folder, watches for every level.
        try FileOperations.makeDirectories(temp.appending("trip/day1"))
        try writeFile(temp.appending("trip/day1/b.png"), [1])
        #expect(rename(temp.appending("trip").string, inbox.appending("trip").string) == 0)
        let appeared = await next(watcher) { if case .directoryAppeared = $0 { true } else { false } }
        #expect(appeared == .directoryAppeared("trip"))
        #expect(await eventually(timeout: .seconds(5)) { watcher.watchCount == 4 })

        try writeFile(inbox.appending("trip/day1/c.png"), [1])
        let nested = await next(watcher) { if case .closedAfterWrite = $0 { true } else { false } }
        #expect(nested == .closedAfterWrite("trip/day1/c.png"))
    }

    @Test func removingTheInboxIsReported() async throws {
        let temp = TempDirectory()
        let inbox = temp.appending("inbox")
        try FileOperations.makeDirectories(inbox)
        let watcher = try InboxWatcher(inbox: inbox, ignore: IgnoreRules())
        watcher.start()
        defer { watcher.stop() }
        #expect(rmdir(inbox.string) == 0)
        let gone = await next(watcher) { $0 == .inboxGone }
        #expect(gone == .inboxGone)
    }

    @Test func stopFinishesTheStream() async throws {
        let temp = TempDirectory()
        let watcher = try InboxWatcher(inbox: temp.path, ignore: IgnoreRules())
        watcher.start()
        watcher.stop()
        var count = 0
        for await _ in watcher.events { count += 1 }
        #expect(count == 0)
    }

    @Test func aMissingInboxIsAClearError() {
        #expect(throws: SystemCallError.self) {
            _ = try InboxWatcher(inbox: "/nonexistent/upscaled/inbox", ignore: IgnoreRules())
        }
    }
}
