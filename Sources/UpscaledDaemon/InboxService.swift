import Logging
import ServiceLifecycle
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Feeds the pipeline from the inbox watcher until graceful shutdown. The watcher is created
/// (and its watches exist) before this service runs; see `Daemon`.
public final class InboxService: Service {
    private let watcher: InboxWatcher
    private let pipeline: Pipeline
    private let logger: Logger

    public init(watcher: InboxWatcher, pipeline: Pipeline, logger: Logger) {
        self.watcher = watcher
        self.pipeline = pipeline
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await event in watcher.events {
                switch event {
                case .movedIn(let path): await pipeline.observe(path, arrival: .movedIn)
                case .closedAfterWrite(let path): await pipeline.observe(path, arrival: .writtenInPlace)
                case .directoryAppeared(let path): await pipeline.scan(path, reason: "new folder \(path.display)")
                case .overflow: await pipeline.noteOverflow()
                case .watchFailed(let message):
                    logger.warning("\(message)")
                    await pipeline.noteError(message)
                case .inboxGone:
                    let message = "the inbox \(watcher.inbox.display) was removed or unmounted; restart upscaled once it is back"
                    logger.error("\(message)")
                    await pipeline.noteError(message)
                }
            }
        } onGracefulShutdown: {
            self.watcher.stop()
        }
    }
}
