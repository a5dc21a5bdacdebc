import NIOCore
import NIOPosix

/// Swift's global executor, on SwiftNIO's singleton event loops: one thread per core, each
/// asleep in `epoll_wait` until there is work (see `DispatchFreeConcurrency` for why not
/// Dispatch's pool). Tasks and actors run here; as with Swift's own pool, nothing that blocks
/// may (libvips and file I/O have threads of their own).
final class EventLoopTaskExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup

    init(group: MultiThreadedEventLoopGroup = .singleton) {
        self.group = group
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        group.any().execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs `job` after `nanoseconds` (Task.sleep and every other delayed job).
    func enqueue(_ job: UnownedJob, afterNanoseconds nanoseconds: UInt64) {
        let run: @Sendable () -> Void = { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        let loop = group.any()
        if nanoseconds == 0 {
            loop.execute(run)
        } else {
            loop.scheduleTask(in: .nanoseconds(Int64(min(nanoseconds, UInt64(Int64.max)))), run)
        }
    }
}
