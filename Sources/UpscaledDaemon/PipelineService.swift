import ServiceLifecycle

/// Runs the pipeline's workers as a `Service`. On graceful shutdown no new file is claimed;
/// jobs in flight finish (their files are filed), everything else stays in the inbox.
public struct PipelineService: Service {
    let pipeline: Pipeline

    public init(pipeline: Pipeline) { self.pipeline = pipeline }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await pipeline.runWorkers()
        } onGracefulShutdown: {
            Task { await pipeline.stop() }
        }
    }
}
