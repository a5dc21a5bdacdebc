import Foundation
import Glibc
import Synchronization
import Testing
import UpscaledLinux

@Suite struct SerialWorkerTests {
    /// What the posted closures saw, shared between the posting tasks and the worker thread.
    private final class Record: Sendable {
        let order = Mutex<[Int: [Int]]>([:])
        let threads = Mutex<Set<String>>([])
    }

    /// Posted from many tasks at once, each poster's work still runs in its own order, all of it
    /// on the one named worker thread, and `flush` returns only after every post has run.
    @Test func postsRunInOrderOnOneNamedThreadAndFlushWaitsForThem() async {
        let worker = SerialWorker(name: "test-worker")
        let record = Record()
        await withTaskGroup(of: Void.self) { group in
            for poster in 0..<4 {
                group.addTask {
                    for i in 0..<250 {
                        worker.post {
                            usleep(UInt32.random(in: 0...20))
                            record.order.withLock { $0[poster, default: []].append(i) }
                            let name = currentThreadName()
                            record.threads.withLock { _ = $0.insert(name) }
                        }
                    }
                }
            }
        }
        worker.flush()
        let order = record.order.withLock { $0 }
        #expect(order.count == 4)
        for poster in 0..<4 { #expect(order[poster] == Array(0..<250), "poster \(poster)") }
        #expect(record.threads.withLock { $0 } == ["test-worker"])
    }
}

private func currentThreadName() -> String {
    // /proc/thread-self is the calling thread's own /proc/PID/task/TID.
    ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
        .trimmingCharacters(in: .whitespacesAndNewlines)
}
