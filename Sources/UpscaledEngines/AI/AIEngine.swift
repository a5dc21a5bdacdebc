import Foundation
import NIOPosix
import Synchronization
import UpscaledCore
import UpscaledLinux

/// The offline AI engine: Real-ESRGAN-family networks through ncnn, on the CPU or a Vulkan device
/// (`ai.gpu`, `NcnnDevice`), tiled so memory stays bounded at any image size. Each job runs on a thread of the engine's own pool (ncnn and
/// libvips block for seconds); ncnn adds its OpenMP threads inside each tile.
public final class AIEngine: UpscaleEngine, EngineReconfigurable {
    public let name = "ai"

    struct Settings {
        var local: LocalEngineSettings
        var ai: AIConfig
        var threads: Int
        var models: AIModelSet
    }

    private let current: Mutex<Settings>
    private let pool: NIOThreadPool
    private let stopping = Atomic<Bool>(false)
    private let cores: Int

    /// Loads the model `config.ai` names. - Throws: `AIModelError` naming the file at fault.
    public init(config: DaemonConfig, cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        try VipsRuntime.start()
        self.cores = cores
        let threads = config.ai.effectiveThreads(cores: cores, workers: config.workers)
        let models = try AIModelSet(config: config.ai, threads: threads)
        self.current = Mutex(Settings(local: LocalEngineSettings(config: config), ai: config.ai, threads: threads, models: models))
        self.pool = NIOThreadPool(numberOfThreads: max(1, config.workers))
        pool.start()
    }

    public var summary: String {
        let s = current.withLock { $0 }
        let threads = s.threads == 1 ? "1 thread" : "\(s.threads) threads"
        return "\(s.models.name) (Real-ESRGAN via ncnn, \(s.models.device), \(threads) per job)"
    }

    /// A reload: new limits and formats at once; a changed model or thread count is loaded first,
    /// and a model that cannot load keeps the running one (the reload fails with the reason).
    public func update(config: DaemonConfig) throws(ConfigError) {
        let threads = config.ai.effectiveThreads(cores: cores, workers: config.workers)
        let running = current.withLock { $0 }
        var models = running.models
        if config.ai != running.ai || threads != running.threads {
            do { models = try AIModelSet(config: config.ai, threads: threads) } catch {
                throw ConfigError("\(error)")
            }
        }
        current.withLock { $0 = Settings(local: LocalEngineSettings(config: config), ai: config.ai, threads: threads, models: models) }
    }

    public func upscale(_ request: UpscaleRequest, into output: TempFile) async throws(UpscaleFailure) -> UpscaleResult {
        let settings = current.withLock { $0 }
        let fd = output.fd
        let job = AIUpscaler.Job(settings: settings.local, models: settings.models,
                                 memoryBytes: settings.models.device.tileMemoryBytes(
                                     memoryMB: settings.ai.effectiveMemoryMB(family: settings.models.family)),
                                 tileSize: settings.ai.tileSize,
                                 margin: settings.ai.effectiveTileMargin(family: settings.models.family),
                                 shouldStop: { [self] in stopping.load(ordering: .relaxed) },
                                 progress: request.progress ?? { _, _ in })
        let outcome: Result<UpscaleResult, UpscaleFailure>
        do {
            outcome = try await pool.runIfActive { () -> Result<UpscaleResult, UpscaleFailure> in
                do throws(UpscaleFailure) {
                    return .success(try job.models.withJob { () throws(UpscaleFailure) in
                        try AIUpscaler.run(request, job: job, outputFD: fd)
                    })
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw UpscaleFailure(code: .engineStopped, reason: "the AI engine is shutting down", disposition: .retryLater)
        }
        return try outcome.get()
    }

    public func beginShutdown() {
        stopping.store(true, ordering: .relaxed)
    }

    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
