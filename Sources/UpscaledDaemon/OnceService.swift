import ServiceLifecycle

/// `upscaled run --once`: every file in the inbox now, then the end. A graceful shutdown
/// (SIGTERM, SIGINT) ends it as gently as the daemon: no new claims, the jobs in flight finish,
/// the rest stays in the inbox for the next run.
struct OnceService: Service {
    let pipeline: Pipeline

    func run() async throws {
        await withGracefulShutdownHandler {
            await pipeline.scan(reason: "processing the inbox once")
            async let workers: Void = pipeline.runWorkers()
            await pipeline.waitUntilIdle()
            await pipeline.stop()
            await workers
        } onGracefulShutdown: {
            Task { await pipeline.stop() }
        }
    }
}
