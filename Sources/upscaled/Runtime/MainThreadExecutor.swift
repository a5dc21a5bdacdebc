@_spi(ExperimentalCustomExecutors) import _Concurrency
import Foundation

/// The main actor's executor: runs its jobs on the process's main thread, in order, and
/// sleeps on a condition variable when there are none.
///
/// Why our own: Swift's default main executor on Linux is Dispatch's main queue, and draining it
/// starts libdispatch's worker pool, whose 1 s monitor timer then wakes the process every second
/// for as long as it lives (see `DispatchFreeConcurrency`).
final class MainThreadExecutor: MainExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `stopped` are read and written only while `condition` is locked
    // (`enqueue`, `run` and `stop` all take it first); `condition` is a thread-safe lock.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// The main thread's loop: runs jobs until `stop()` (the program normally ends with `exit`).
    func run() throws {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if stopped {
                stopped = false
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }
}
