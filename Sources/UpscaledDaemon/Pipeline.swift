import Logging
import NIOPosix
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// Runs the pipeline: `PipelineMachine` decides what happens to each file the watcher or a scan
/// reports; this actor carries its actions out (a `stat` on an I/O thread, a timer, a job handed
/// to a worker, a probe, the status) and feeds what came of them back as events.
///
/// Detection never waits on work: `observe` only records the path; settled files wait in a
/// FIFO, and a fixed number of workers take them one at a time.
public actor Pipeline {
    typealias Machine = PipelineMachine<JobRunner.Claim>
    typealias Action = PipelineAction<JobRunner.Claim>
    typealias Job = PipelineJob<JobRunner.Claim>

    let runner: JobRunner
    let io: NIOThreadPool
    let layout: FolderLayout
    private let status: StatusBoard
    let logger: Logger
    private let workers: Int
    private var settings: JobSettings
    /// The cloud engines' backoff base, in seconds (the engine probe starts at 15x it).
    let retryBaseSeconds: Double
    /// The rules the watcher uses too (one copy, changed on reload).
    private let ignore: SharedIgnoreRules
    /// Wall-clock seconds, as file mtimes are (injected by tests).
    let clock: @Sendable () -> Double

    var machine: Machine
    /// Effects in flight, keyed as the machine names them.
    private var timers: [FilePath: Task<Void, Never>] = [:]
    var probes: [PauseState.Cause: Task<Void, Never>] = [:]
    private var waitingWorkers: [CheckedContinuation<Job?, Never>] = []
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    public init(runner: JobRunner, io: NIOThreadPool, layout: FolderLayout, status: StatusBoard, config: DaemonConfig,
                ignore: SharedIgnoreRules, logger: Logger, retriesDeferred: Bool = true,
                clock: (@Sendable () -> Double)? = nil) {
        self.runner = runner
        self.io = io
        self.layout = layout
        self.status = status
        self.logger = logger
        self.workers = config.workers
        self.settings = JobSettings(config: config)
        self.ignore = ignore
        self.clock = clock ?? { WallClock.now() }
        self.retryBaseSeconds = Double(config.stability.retryBaseMilliseconds) / 1000
        self.machine = Machine(quietWindow: Double(config.quietWindowMilliseconds) / 1000, retriesDeferred: retriesDeferred)
    }

    // MARK: - Events in

    /// A file was noticed at inbox-relative `relative`.
    public func observe(_ relative: FilePath, arrival: SettleDecision.Arrival) async {
        await execute(machine.observed(relative, arrival: arrival))
    }

    /// Everything under `relative` (the whole inbox when empty), as found by a scan.
    public func scan(_ relative: FilePath = FilePath(""), reason: String) async {
        let inbox = layout.inbox
        let rules = ignore.current
        let files = (try? await io.runIfActive { InboxScanner.scan(inbox: inbox, under: relative, ignore: rules) }) ?? []
        if !files.isEmpty {
            logger.info("\(reason): \(files.count) file(s) found", metadata: ["upscaled.scan": "\(relative.display)"])
        }
        for file in files { await observe(file, arrival: .foundByScan) }
        publish()
        // Claims a vanished share stranded go back once it answers (tried at every scan until
        // then; seen in the inbox at the next event or poll).
        if runner.hasStranded { _ = try? await io.runIfActive { [runner] in runner.returnStranded() } }
        // A poll or rescan is also when another host's silence is noticed (at most once per beat).
        await runner.presence?.nudge()
    }

    public func noteOverflow() async {
        await execute(machine.noteOverflow())
        logger.warning("the inotify queue overflowed; rescanning the inbox (raise fs.inotify.max_queued_events if this repeats)")
        await scan(reason: "rescan after overflow")
    }

    public func noteError(_ message: String?) async { await execute(machine.noteError(message)) }

    /// Polling needs a longer quiet window: a file must look unchanged across two scans.
    public func setMinimumQuietWindow(_ seconds: Double) { machine.minimumQuietWindow = seconds }

    public func update(config: DaemonConfig) {
        settings = JobSettings(config: config)
        machine.quietWindow = Double(config.quietWindowMilliseconds) / 1000
        publish()
    }

    public func setEngineNote(_ note: String?) async { await execute(machine.setNote(note)) }

    /// Queues a job recovered from the journal (already claimed; its generation is polled again).
    func resume(_ claim: JobRunner.Claim) async {
        await execute(machine.recovered(claim.relative, claim: claim))
    }

    // MARK: - Actions out

    /// Carries out `actions`; the looks last, each awaited (a scan of many files stays in order).
    func execute(_ actions: [Action]) async {
        var looks: [FilePath] = []
        var changed = false
        for action in actions {
            switch action {
            case .look(let path): looks.append(path)
            case .startTimer(let path, let timer, let at): startTimer(path, timer: timer, at: at)
            case .cancelTimer(let path): timers.removeValue(forKey: path)?.cancel()
            case .dispatch(let job): waitingWorkers.removeLast().resume(returning: job)
            case .releaseWorkers:
                for worker in waitingWorkers { worker.resume(returning: nil) }
                waitingWorkers.removeAll()
            case .startProbe(let cause): startProbe(cause)
            case .stopProbe(let cause): probes.removeValue(forKey: cause)?.cancel()
            case .announce(let announcement): announce(announcement)
            case .publish: changed = true
            }
        }
        if changed { publish() }
        if machine.isIdle || machine.stopping {
            for waiter in idleWaiters { waiter.resume() }
            idleWaiters.removeAll()
        }
        for path in looks { await look(path) }
    }

    private func look(_ relative: FilePath) async {
        let path = layout.join(layout.inbox, relative)
        let status = try? await io.runIfActive { try FileOperations.statusIfPresent(path) }
        await execute(machine.looked(relative, (status ?? nil).map(FileLook.init), now: clock()))
        // A file gone before we took it: perhaps another host did. A look at the other hosts
        // (at most once per beat) notices one holding work, to judge again when its lease ends.
        if status == nil { await runner.presence?.nudge() }
    }

    private func startTimer(_ path: FilePath, timer: UInt64, at time: Double) {
        timers[path]?.cancel()
        let delay = max(0.001, time - clock())
        timers[path] = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 1))
            guard !Task.isCancelled else { return }
            await self?.timerFired(path, timer: timer)
        }
    }

    private func timerFired(_ path: FilePath, timer: UInt64) async {
        timers[path] = nil
        await execute(machine.timerFired(path, timer: timer))
    }

    private func announce(_ announcement: PipelineAnnouncement) {
        switch announcement {
        case .paused(let reason):
            logger.error("paused: \(reason); files stay in the inbox until it works again (or on reload)")
        case .stillPaused(let lifted, let still):
            logger.notice("\(lifted == .disk ? "the outbox is writable" : "the engine works") again; still paused: \(still)")
        case .resumed(let note):
            logger.notice("resumed\(note.map { ": \($0)" } ?? "")")
        }
    }

    func publish() { status.update(counters: machine.published) }

    /// Publishes the counters again (after the status board's state was set from outside).
    public func republish() { publish() }

    public var counters: PipelineCounters { machine.published }

    // MARK: - Workers

    /// Runs the workers until graceful shutdown; in-flight jobs finish, queued files stay in the inbox.
    public func runWorkers() async {
        let count = workers
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask {
                    while let job = await self.nextJob() {
                        let outcome = await self.runner.process(job.path, settings: await self.settings, resuming: job.claim,
                                                                incompleteHistory: job.incompleteHistory,
                                                                pause: { reason in await self.pause(reason) })
                        await self.finished(job.path, outcome: outcome)
                    }
                }
            }
        }
    }

    private func finished(_ path: FilePath, outcome: JobOutcome) async {
        await execute(machine.jobEnded(path, outcome: outcome, now: clock()))
    }

    /// The next job, or nil when stopping. A waiting worker's continuation is stored before
    /// any suspension, so the machine's count of waiting workers always matches.
    private func nextJob() async -> Job? {
        let (answer, actions) = machine.workerWantsJob()
        switch answer {
        case .job(let job):
            await execute(actions)
            return job
        case .end:
            return nil
        case .wait:
            return await withCheckedContinuation { waitingWorkers.append($0) }
        }
    }

    /// Stops taking new work: waiting workers end, timers stop. Files not yet claimed stay in the inbox.
    public func stop() async {
        runner.engine.beginShutdown()
        await execute(machine.stop())
    }

    /// Returns once nothing is looked at, waiting, queued or in flight (for `--once`).
    public func waitUntilIdle() async {
        if machine.isIdle || machine.stopping { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }
}

extension FileLook {
    init(_ status: FileOperations.Status) {
        let kind: Kind = switch status.kind {
        case .regular: .regular
        case .directory: .directory
        default: .other
        }
        self.init(kind: kind, size: status.size, modified: status.modified)
    }
}
