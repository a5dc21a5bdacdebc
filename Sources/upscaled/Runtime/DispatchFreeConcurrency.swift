@_spi(ExperimentalCustomExecutors) import _Concurrency
import CSwiftRuntimeHooks
import Glibc

/// Moves Swift concurrency off libdispatch, so that an idle daemon does not wake up at all.
///
/// On Linux, Swift runs tasks on Dispatch's global queues and the main actor on Dispatch's main
/// queue. The first job either runs starts libdispatch's worker pool, and with it a monitor
/// timer that fires every second for the life of the process (`_dispatch_workq_monitor_pools`):
/// 60 wake-ups a minute with nothing to do (measured by `bench/run --only idle`). Instead:
///
/// - the global executor is `EventLoopTaskExecutor` (SwiftNIO's event loops), the main executor
///   `MainThreadExecutor` (the main thread), installed as the Swift runtime's executors
///   (`_createExecutors`, SE-0471's executor factory);
/// - delayed jobs (`Task.sleep`) come to the runtime's `enqueueGlobalWithDelay/Deadline` hooks,
///   because neither executor offers scheduling of its own, and become NIO scheduled tasks: an
///   `epoll_wait` timeout, set only while something waits.
enum DispatchFreeConcurrency {
    static let mainThread = MainThreadExecutor()
    static let eventLoops = EventLoopTaskExecutor()

    struct Executors: ExecutorFactory {
        static var mainExecutor: any MainExecutor { DispatchFreeConcurrency.mainThread }
        static var defaultExecutor: any TaskExecutor { DispatchFreeConcurrency.eventLoops }
    }

    private typealias DelayOriginal = @convention(thin) (UInt64, UnownedJob) -> Void
    private typealias DelayHook = @convention(thin) (UInt64, UnownedJob, DelayOriginal) -> Void
    private typealias DeadlineOriginal = @convention(thin) (Int64, Int64, Int64, Int64, Int32, UnownedJob) -> Void
    private typealias DeadlineHook = @convention(thin) (Int64, Int64, Int64, Int64, Int32, UnownedJob, DeadlineOriginal) -> Void

    /// Installs the executors and hooks. Call once, on the main thread, before the first task.
    static func install() {
        _createExecutors(factory: Executors.self)

        let delay: DelayHook = { nanoseconds, job, _ in
            DispatchFreeConcurrency.eventLoops.enqueue(job, afterNanoseconds: nanoseconds)
        }
        let deadline: DeadlineHook = { seconds, nanoseconds, _, _, clock, job, _ in
            DispatchFreeConcurrency.eventLoops.enqueue(
                job, afterNanoseconds: DispatchFreeConcurrency.nanosecondsUntil(seconds: seconds, nanoseconds: nanoseconds, clock: clock))
        }
        // Before any other thread exists (see the contract above), so plain stores suffice.
        upscaled_install_delay_hooks(unsafeBitCast(delay, to: UnsafeRawPointer.self),
                                     unsafeBitCast(deadline, to: UnsafeRawPointer.self))
    }

    /// How far a deadline on the runtime's `clock` lies ahead (0 if passed; saturating, so a
    /// `Task.sleep(for: .seconds(Int64.max))` sleeps "forever" instead of trapping).
    static func nanosecondsUntil(seconds: Int64, nanoseconds: Int64, clock: Int32) -> UInt64 {
        var nowSeconds: Int64 = 0
        var nowNanoseconds: Int64 = 0
        swiftGetTime(&nowSeconds, &nowNanoseconds, clock)
        let (wholeSeconds, overflow) = seconds.subtractingReportingOverflow(nowSeconds)
        if overflow || wholeSeconds >= Int64.max / 1_000_000_000 - 1 { return UInt64(Int64.max) }
        if wholeSeconds < 0 { return 0 }        // passed: the nanoseconds part is under a second
        let remaining = wholeSeconds * 1_000_000_000 + (nanoseconds - nowNanoseconds)
        return UInt64(max(remaining, 0))
    }

    /// Serves the main actor on this (the main) thread; never returns in practice.
    static func runMainActor() -> Never {
        try? mainThread.run()
        exit(EXIT_SUCCESS)
    }
}

/// The Swift runtime's own clock reading, in the clock's terms (1 continuous, 2 suspending):
/// deadlines handed to the hook are in these units.
@_silgen_name("swift_get_time")
private func swiftGetTime(_ seconds: UnsafeMutablePointer<Int64>, _ nanoseconds: UnsafeMutablePointer<Int64>, _ clock: Int32)
