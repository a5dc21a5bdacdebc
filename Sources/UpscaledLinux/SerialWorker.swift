import Foundation

/// One thread of our own that runs closures in the order they were posted: for the small
/// blocking writes (sd_notify, the status file, the metrics file) that must neither stall
/// Swift's cooperative threads nor wait for each other out of order.
///
/// Why not a serial `DispatchQueue`: the first Dispatch queue that runs anything starts
/// libdispatch's worker pool, and with it a 1 s monitor timer that never stops again — an idle
/// daemon would wake up 60 times a minute for nothing. This thread sleeps on a condition
/// variable and wakes only when there is work.
public final class SerialWorker: @unchecked Sendable {
    // @unchecked: `pending`, `posted` and `done` are read and written only while `condition` is
    // locked (post, flush and the worker loop all take it first), and `condition` itself is a
    // thread-safe lock; so no two threads ever touch the state at once.
    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []
    private var posted: UInt64 = 0
    private var done: UInt64 = 0
    private let name: String
    private var started = false

    /// - Parameter name: the thread's name, as `top -H` and `/proc/PID/task/*/comm` show it.
    public init(name: String) {
        self.name = name
    }

    /// Runs `work` on the worker thread after everything posted before it.
    public func post(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(work)
        posted += 1
        // The thread starts with the first job: a worker never used costs no thread.
        if !started {
            started = true
            let thread = Thread { [self] in
                nameCurrentThread(name)
                loop()
            }
            thread.start()
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until everything posted so far has run (before exit, and in tests).
    public func flush() {
        condition.lock()
        let target = posted
        while done < target { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            for work in batch { work() }
            condition.lock()
            done += UInt64(batch.count)
            condition.broadcast()
            condition.unlock()
        }
    }
}
