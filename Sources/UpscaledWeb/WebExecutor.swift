import NIOCore
import NIOPosix
import UpscaledLinux

/// Where the page's work runs: an event loop of its own, at a lower priority, preferred by every
/// task of the server (its connections, its handlers) through a task-executor preference. So
/// fifty clients keep that one thread busy, not the event loops that carry the pipeline, and on
/// a machine with no core to spare the kernel gives the pipeline its turn first.
final class WebExecutor: TaskExecutor {
    let group: MultiThreadedEventLoopGroup
    private let loop: any EventLoop

    init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        loop.execute {                                   // its one thread, before anything else
            nameCurrentThread("upscaled-web")
            lowerCurrentThreadPriority()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func shutdown() async {
        try? await group.shutdownGracefully()
    }
}
