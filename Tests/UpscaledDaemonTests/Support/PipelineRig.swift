import Foundation
import Logging
import NIOPosix
import SystemPackage
import UpscaledCore
@testable import UpscaledDaemon
import UpscaledLinux
import UpscaledTestSupport

/// The daemon's heart in this process: real folders under a temp root, the real journal, runner
/// and pipeline, a `ScriptedEngine`, and workers running as a task. No watcher: a test reports
/// what it dropped, as the watcher would.
final class PipelineRig: Sendable {
    let temp: TempDirectory
    let config: DaemonConfig
    let layout: FolderLayout
    let engine: ScriptedEngine
    let io: NIOThreadPool
    let status: StatusBoard
    let runner: JobRunner
    let pipeline: Pipeline
    private let workers: Task<Void, Never>

    /// How long a test waits for what takes well under a second alone: in the full suite, on two
    /// cores, dozens of daemons run beside these tests and can hold the test process back for
    /// tens of seconds.
    static let patience: Duration = .seconds(120)

    /// What the journal replay reported at the rig's start.
    let recovery: JobRunner.RecoveryReport

    /// - Parameter crashed: leaves on disk what a crash left (claims, journal records) before
    ///   the journal is replayed, as at a start.
    /// - Parameter clock: the wall clock the pipeline judges mtimes by (the real one by default).
    init(workers count: Int = 1, once: Bool = false, configure: (inout DaemonConfig) -> Void = { _ in },
         crashed: (FolderLayout) throws -> Void = { _ in }, clock: (@Sendable () -> Double)? = nil) async throws {
        temp = TempDirectory("upscaled-pipeline")
        var config = DaemonConfig(root: temp.path)
        config.engine = "local"
        config.workers = count
        config.quietWindowMilliseconds = 200
        config.stability.retryBaseMilliseconds = 20                 // the engine probe starts at 0.3 s
        configure(&config)
        self.config = config
        layout = FolderLayout(config: config)
        try layout.prepare()
        try crashed(layout)
        engine = try ScriptedEngine(config: config)
        io = NIOThreadPool(numberOfThreads: 2)
        io.start()
        status = StatusBoard(file: layout.statusFile, notifier: SystemdNotifier(), engine: engine.name, target: "test",
                             interval: .milliseconds(10))
        let quiet = Logger(label: "upscaled-test") { _ in SwiftLogNoOpLogHandler() }
        runner = JobRunner(layout: layout, engine: engine, io: io, logger: quiet)
        let report = runner.recover()
        recovery = report
        pipeline = Pipeline(runner: runner, io: io, layout: layout, status: status, config: config,
                            ignore: SharedIgnoreRules(config: config), logger: quiet, retriesDeferred: !once,
                            clock: clock)
        for claim in report.resumable { await pipeline.resume(claim) }
        workers = Task { [pipeline] in await pipeline.runWorkers() }
    }

    var inbox: FilePath { layout.inbox }

    /// A real PNG moved into the inbox (complete by rename), reported as the watcher would.
    @discardableResult
    func drop(_ relative: String, width: Int = 32, height: Int = 24) async throws -> FilePath {
        let staging = temp.appending(".staging-\(UUID().uuidString).png")
        try ImageFactory.write(staging, width: width, height: height)
        let target = layout.inbox.appending(relative)
        try FileManager.default.createDirectory(atPath: target.removingLastComponent().string, withIntermediateDirectories: true)
        guard rename(staging.string, target.string) == 0 else { throw HarnessError(description: "rename into the inbox: errno \(errno)") }
        await pipeline.observe(FilePath(relative), arrival: .movedIn)
        return target
    }

    /// Everything under the root, as "folder/name" (hidden state folders left out).
    var everything: [String] { listFiles(temp.path) }

    /// Stops as the service does, then waits for the workers to end.
    func stop() async {
        await pipeline.stop()
        await workers.value
        await engine.shutdown()
        try? await io.shutdownGracefully()
    }
}
