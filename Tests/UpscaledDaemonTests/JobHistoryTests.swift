import Foundation
import Synchronization
import SystemPackage
import Testing
import UpscaledCore
import UpscaledLinux
@testable import UpscaledDaemon
import UpscaledTestSupport

/// The job history: bounded, newest first, filtered, and the same after a restart.
@Suite struct JobHistoryTests {
    func entry(_ n: Int, outcome: HistoryEntry.Outcome = .done) -> HistoryEntry {
        HistoryEntry(id: "job-\(n)", outcome: outcome, file: "trip/photo-\(n).jpg", engine: "local", target: "2x",
                     host: "local", finishedAt: "2026-12-04T00:00:00Z", seconds: 0.5)
    }

    @Test func itKeepsTheNewestUpToItsCapacityAcrossRestarts() throws {
        let temp = TempDirectory("upscaled-history")
        let history = JobHistory(folder: temp.path, capacity: 10)
        for n in 0..<25 { history.record(entry(n, outcome: n % 5 == 0 ? .failed : .done)) }
        history.drain()
        #expect(history.recent(offset: 0, limit: 100).entries.map(\.id) == (15..<25).reversed().map { "job-\($0)" })
        #expect(history.recent(offset: 2, limit: 3).entries.map(\.id) == ["job-22", "job-21", "job-20"])
        #expect(history.recent(offset: 0, limit: 100, outcome: .failed).entries.map(\.id) == ["job-20", "job-15"])
        #expect(history.recent(offset: 0, limit: 100, text: "photo-2").total == 5)
        // A new process reads what the last one kept; the files never hold more than the capacity.
        let again = JobHistory(folder: temp.path, capacity: 10)
        #expect(again.recent(offset: 0, limit: 100).entries == history.recent(offset: 0, limit: 100).entries)
        let lines = [temp.path.appending("history.jsonl"), temp.path.appending("history.1.jsonl")].map {
            (try? FileOperations.readAll($0))?.filter { $0 == 0x0A }.count ?? 0
        }
        #expect(lines.reduce(0, +) <= 10 && lines.reduce(0, +) >= 5, "\(lines)")
        #expect(again.entry(id: "job-24")?.file == "trip/photo-24.jpg" && again.entry(id: "job-3") == nil)
    }

    @Test func aLineCutOffByACrashIsSkipped() throws {
        let temp = TempDirectory("upscaled-history")
        let history = JobHistory(folder: temp.path)
        history.record(entry(1))
        history.drain()
        var bytes = try FileOperations.readAll(temp.path.appending("history.jsonl"))
        bytes += Array("{\"id\":\"job-2\",\"outc".utf8)                // the write a kill -9 cut short
        try writeFile(temp.path.appending("history.jsonl"), bytes)
        let reopened = JobHistory(folder: temp.path)
        #expect(reopened.recent(offset: 0, limit: 10).entries.map(\.id) == ["job-1"])
        reopened.record(entry(3))                                          // starts a line of its own
        reopened.drain()
        #expect(JobHistory(folder: temp.path).recent(offset: 0, limit: 10).entries.map(\.id) == ["job-3", "job-1"])
    }

    @Test func observersHearEachNewEntryUntilTheyLeave() {
        let temp = TempDirectory("upscaled-history")
        let history = JobHistory(folder: temp.path)
        let heard = Mutex<[String]>([])
        let token = history.observe { entry in heard.withLock { $0.append(entry.id) } }
        history.record(entry(1))
        history.removeObserver(token)
        history.record(entry(2))
        #expect(heard.withLock { $0 } == ["job-1"])
    }
}
