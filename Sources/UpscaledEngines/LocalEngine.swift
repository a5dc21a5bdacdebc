import NIOPosix
import Synchronization
import UpscaledCore
import UpscaledLinux

/// The embedded default engine: libvips, offline, no key. Each job runs on a dedicated
/// `NIOThreadPool` thread so libvips' blocking, CPU-heavy calls never occupy Swift's
/// cooperative pool.
public final class LocalEngine: UpscaleEngine, EngineReconfigurable {
    public let name = "local"
    private let current: Mutex<LocalEngineSettings>
    private let pool: NIOThreadPool

    public var settings: LocalEngineSettings { current.withLock { $0 } }

    public func update(config: DaemonConfig) {
        current.withLock { $0 = LocalEngineSettings(config: config) }
    }

    public init(settings: LocalEngineSettings, threads: Int) throws(VipsError) {
        try VipsRuntime.start()
        self.current = Mutex(settings)
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    public var summary: String { "bicubic (libvips \(VipsRuntime.version))" }

    public func upscale(_ request: UpscaleRequest, into output: TempFile) async throws(UpscaleFailure) -> UpscaleResult {
        let settings = self.settings
        let fd = output.fd
        let outcome: Result<UpscaleResult, UpscaleFailure>
        do {
            outcome = try await pool.runIfActive { () -> Result<UpscaleResult, UpscaleFailure> in
                do throws(UpscaleFailure) {
                    return .success(try VipsUpscaler.run(request, settings: settings, outputFD: fd))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw UpscaleFailure(code: .engineStopped, reason: "the local engine is shutting down", disposition: .retryLater)
        }
        return try outcome.get()
    }

    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

/// Engines whose settings can change on reload without a restart. A throw keeps the running
/// settings (the reload fails with the reason).
public protocol EngineReconfigurable: Sendable {
    func update(config: DaemonConfig) throws(ConfigError)
}
