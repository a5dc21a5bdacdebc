import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// Faults of the place rather than of the file: a full disk, a writer slower than the quiet
/// window. Inputs are kept, nothing half-written appears, work resumes by itself.
@Suite struct EnvironmentFaultTests {
    /// The writer pauses, mid-file, longer than the quiet window: the half file is put back and
    /// looked at again, and once the writer finishes it is upscaled. (That our own put-back, a
    /// rename, does not make it count as moved in is shown by the corrupt file's test below: it
    /// gets its three looks.)
    ///
    /// The writer is a thread of its own, as a real one would be: a full test run keeps Swift's
    /// cooperative threads busy for seconds at a time, and the writer must resume within the
    /// seconds the daemon gives a file that does not change.
    @Test func aFileStillBeingWrittenIsLookedAtAgainNotFailed() async throws {
        let h = try DaemonHarness()
        let daemon = try await h.start(["--quiet-window-ms", "200"])
        let whole = h.home.path.appending("whole.png")
        try ImageFactory.write(whole, width: 200, height: 150)
        let bytes = try readFile(whole)
        let target = h.inbox.appending("slow-writer.png")
        let finished = Mutex<String?>(nil)
        let firstHalf = Array(bytes.prefix(bytes.count / 2)), secondHalf = Array(bytes.dropFirst(bytes.count / 2))
        Thread.detachNewThread {
            var outcome = "the daemon never looked at the half file"
            do {
                try writeInPlace(target, firstHalf)
                let deadline = Date().addingTimeInterval(60)
                // Waits for the first failed look, then finishes the file as soon as it is back in
                // the inbox (between looks it is claimed, and the append finds no file there).
                while Date() < deadline {
                    if daemon.log.contains("does not decode yet (look 1"), (try? writeInPlace(target, secondHalf, appending: true)) != nil {
                        outcome = "finished"
                        break
                    }
                    usleep(10_000)
                }
            } catch {
                outcome = "\(error)"
            }
            finished.withLock { $0 = outcome }
        }
        #expect(await eventually(timeout: .seconds(70)) { finished.withLock { $0 } != nil })
        #expect(finished.withLock { $0 } == "finished", "\(daemon.log)")
        #expect(await eventually { exists(h.outbox.appending("slow-writer.png")) && exists(h.archive.appending("slow-writer.png")) },
                "\(daemon.log)")
        #expect(listFiles(h.failed).isEmpty, "\(daemon.log)")
        #expect(try readFile(h.archive.appending("slow-writer.png")) == bytes)
        #expect(await h.stop() == 0)
    }

    /// A corrupt file written in place and never touched again: it is looked at a few times, then
    /// judged after seconds (its size and mtime stayed the same), not after a minute of retries.
    @Test func aCorruptFileWrittenInPlaceIsJudgedWithinSeconds() async throws {
        let h = try DaemonHarness()
        let daemon = try await h.start(["--quiet-window-ms", "200"])
        let whole = h.home.path.appending("whole.png")
        try ImageFactory.write(whole, width: 200, height: 150)
        let bytes = try readFile(whole)
        let started = ContinuousClock.now
        try writeInPlace(h.inbox.appending("cut.png"), bytes.prefix(bytes.count / 2))
        #expect(await eventually(timeout: .seconds(40)) { exists(h.failed.appending("cut.png")) }, "\(daemon.log)")
        let elapsed = ContinuousClock.now - started
        // Three looks again (3 s apart), then the judgement: well under the old minute. Before the
        // put-back counted as written in place, it was judged at its second look.
        #expect(daemon.log.contains("does not decode yet (look 3"), "\(daemon.log)")
        #expect(!daemon.log.contains("does not decode yet (look 4"), "\(daemon.log)")
        #expect(elapsed < .seconds(40), "took \(elapsed)")
        let sidecar = try String(contentsOfFile: h.failed.appending("cut.png.json").string, encoding: .utf8)
        #expect(sidecar.contains("undecodable"), "\(sidecar)")
        #expect(listFiles(h.inbox).isEmpty)
        #expect(await h.stop() == 0)
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root (CI runs as root)"))
    func aFullDiskPausesKeepsTheInputAndResumes() async throws {
        let h = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: h.root.string, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=6m", "tmpfs", h.root.string]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "mount failed")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = ["-l", h.root.string]
            try? umount.run()
            umount.waitUntilExit()
        }
        let daemon = try await h.start()
        // An input of a few hundred KB whose 2x PNG needs several MB.
        try h.drop("big.png") { try ImageFactory.write($0, width: 900, height: 700) }
        #expect(await eventually { exists(h.outbox.appending("big.png")) })
        // The next input is written first, then the disk is filled to the last block: moving the
        // input in needs no space, its result has none.
        let staged = h.root.appending(".test-staging/second.png")
        try ImageFactory.write(staged, width: 900, height: 700)
        let filler = h.root.appending("filler")
        let fd = open(filler.string, O_CREAT | O_WRONLY, 0o644)
        let chunk = [UInt8](repeating: 1, count: 16 * 1024)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress!, chunk.count) }) > 0 {}
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress!, 512) }) > 0 {}
        close(fd)
        #expect(rename(staged.string, h.inbox.appending("second.png").string) == 0)
        #expect(await h.socket.waitFor { $0.contains("paused") && $0.contains("space") } != nil)
        #expect(await eventually { exists(h.inbox.appending("second.png")) })     // kept, back in the inbox
        #expect(!exists(h.outbox.appending("second.png")))                        // nothing half-written
        #expect(listFiles(h.outbox, includeHidden: true) == ["big.png"])
        #expect(listFiles(h.failed).isEmpty)
        // Issue 10, defect 1: a reload checks the engine, which works; that must not lift the
        // disk's pause (only the disk's own probe may).
        daemon.signal(SIGHUP)
        #expect(await eventually { daemon.log.contains("configuration reloaded") })
        try await Task.sleep(for: .seconds(3))
        #expect(!daemon.log.contains("resumed"), "\(daemon.log)")
        #expect(exists(h.inbox.appending("second.png")))
        // Space comes back: work resumes by itself.
        unlink(filler.string)
        #expect(await eventually { exists(h.outbox.appending("second.png")) })
        #expect(try ImageFactory.info(h.outbox.appending("second.png")).width == 1800)
        #expect(await h.stop() == 0)
    }

    /// EROFS: the outbox's filesystem goes read-only (a NAS share remounted after an error). The
    /// daemon pauses, says why, keeps the input in the inbox and resumes once it is writable.
    @Test(.enabled(if: getuid() == 0, "mounting needs root (CI runs as root)"))
    func aReadOnlyOutboxPausesKeepsTheInputAndResumes() async throws {
        let h = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: h.outbox.string, withIntermediateDirectories: true)
        try run("/bin/mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", h.outbox.string)
        defer { try? run("/bin/umount", "-l", h.outbox.string) }
        try await h.start()
        try h.drop("first.png") { try ImageFactory.write($0) }
        #expect(await eventually { exists(h.outbox.appending("first.png")) && exists(h.archive.appending("first.png")) })

        try run("/bin/mount", "-o", "remount,ro", h.outbox.string)
        try h.drop("second.png") { try ImageFactory.write($0) }
        let paused = await h.socket.waitFor { $0.contains("paused") && $0.contains("read-only") }
        #expect(paused != nil, "\(h.socket.received.suffix(3))")
        #expect(await eventually { exists(h.inbox.appending("second.png")) })     // kept, back in the inbox
        #expect(listFiles(h.outbox, includeHidden: true) == ["first.png"])
        #expect(listFiles(h.failed).isEmpty)

        try run("/bin/mount", "-o", "remount,rw", h.outbox.string)
        #expect(await eventually { exists(h.outbox.appending("second.png")) && exists(h.archive.appending("second.png")) })
        #expect(await h.stop() == 0)
        #expect(listFiles(h.inbox).isEmpty)
    }

    private func run(_ tool: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(tool) \(arguments.joined(separator: " ")) failed")
    }
}
