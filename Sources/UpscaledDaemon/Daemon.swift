import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// Assembles and runs the daemon: folders, journal recovery, engine, watcher, start-up scan,
/// `READY=1`, then the service group until SIGTERM/SIGINT.
public enum Daemon {
    /// Runs until a graceful shutdown (or, with `once`, until the inbox has been processed).
    /// `web`: makes the page's server from the daemon's parts (nil: none); `once` runs without it.
    public static func run(loader: ConfigLoader, config: DaemonConfig, once: Bool, logger: Logger,
                           web: DaemonParts.ServiceMaker? = nil) async throws {
        // A reload asked for between READY=1 and the reload service listening is kept for it,
        // not taken as SIGHUP's default (the end of the process).
        SignalRouter.hold(SIGHUP)
        let layout = FolderLayout(config: config)
        try layout.prepare()
        let resources = ResourceStack()
        do {
            try await run(loader: loader, config: config, layout: layout, once: once, resources: resources, logger: logger, web: web)
        } catch {
            await resources.closeAll()                       // what start-up opened, last first
            throw error
        }
    }

    private static func run(loader: ConfigLoader, config: DaemonConfig, layout: FolderLayout, once: Bool,
                            resources: ResourceStack, logger: Logger, web: DaemonParts.ServiceMaker?) async throws {
        let lock: HostLock?
        do { lock = try HostLock.acquire(layout.hostLock, holder: "pid \(getpid()), started \(WallClock.iso8601())") } catch {
            throw ConfigError("cannot lock \(layout.hostLock.display): \(error)")
        }
        guard let lock else {
            let holder = HostLock.holder(of: layout.hostLock).map { " (\($0))" } ?? ""
            throw ConfigError("another daemon is already running as host \(layout.hostID) on \(config.root.display)\(holder); "
                              + "stop it, or give each daemon on a shared root its own host_id (--host-id)")
        }
        resources.push("the host lock") { lock.release() }
        // Made again under the lock: a survivor that took our folder over just before took them.
        try layout.prepareHostState()
        // A first sign of life before the replay: no survivor takes over a host that is starting.
        let heartbeat: HostHeartbeat
        let signature = "host \(layout.hostID), pid \(getpid()), run \(JobRunner.newJobID()), started \(WallClock.iso8601())"
        do {
            heartbeat = try HostHeartbeat(folder: layout.hostFolder)
            _ = try heartbeat.beat(signature)
        } catch {
            throw ConfigError("cannot write this host's heartbeat in \(layout.hostFolder.display): \(error)")
        }
        let notifier = SystemdNotifier()
        let io = NIOThreadPool(numberOfThreads: 2)
        io.start()
        resources.push("the I/O threads") { try? await io.shutdownGracefully() }
        let presence = HostPresence(heartbeat: heartbeat, lease: HostLease(seconds: Double(config.hostLeaseSeconds)),
                                    io: io, logger: logger, signature: signature)
        let engine = try makeEngine(config, layout: layout, logger: logger)
        let serveWeb = !once && config.web.listen != .off && web != nil
        let metrics = config.metricsTextfile != nil || serveWeb ? MetricsExporter(file: config.metricsTextfile.map { FilePath($0) }) : nil
        let status = StatusBoard(file: layout.statusFile, notifier: notifier, engine: engine.name,
                                 target: "\(config.target.summary) \(engine.summary)", metrics: metrics)
        // Closed after the engine: "stopped" is the last thing the status file and systemd hear.
        resources.push("the status writers") {
            status.set(state: .stopped)
            status.flushNow()
            status.drainWrites()
            notifier.flush()
        }
        resources.push("the \(engine.name) engine") { await engine.shutdown() }
        let history = try await io.runIfActive { JobHistory(folder: layout.hostFolder) }
        resources.push("the job history") { history.drain() }
        // Another engine for one file, when a person asks for it on the page (made on first use).
        let alternates = AlternateEngines { name in
            var other = config
            other.engine = name
            return try makeEngine(other, layout: layout, logger: logger)
        }
        resources.push("the engines asked for on the page") { await alternates.shutdownAll() }
        let runner = JobRunner(layout: layout, engine: engine, io: io, logger: logger, presence: presence,
                               history: history, alternates: alternates) { file, done, total in
            status.progress(file: file, done: done, total: total)
        }
        let resumeGenerations = config.engineKind == .creative && !once
        let report = try await io.runIfActive { runner.recover(resumeGenerations: resumeGenerations) }
        for problem in report.problems { logger.warning("recovery: \(problem)") }
        if report.adopted > 0 {
            logger.notice("took over \(report.adopted) record(s) and claim(s) from the shared journal of an earlier version (\(layout.legacyJournal.display)) as host \(layout.hostID)")
        }
        if !report.takenOver.isEmpty {
            logger.notice("finished the take-over of host(s) \(report.takenOver.joined(separator: ", ")) interrupted by a crash")
        }
        if report.putBack + report.finished + report.discarded > 0 {
            logger.notice("recovered after an interrupted run: \(report.finished) finished, \(report.putBack) returned to the inbox")
        }

        let ignore = SharedIgnoreRules(config: config)
        let pipeline = Pipeline(runner: runner, io: io, layout: layout, status: status, config: config,
                                ignore: ignore, logger: logger, retriesDeferred: !once)
        for claim in report.resumable { await pipeline.resume(claim) }
        if !report.resumable.isEmpty {
            logger.notice("resuming \(report.resumable.count) creative generation(s) started before the restart")
        }
        // A cloud engine checks its key (and reads the balance) before taking any file.
        do {
            await pipeline.setEngineNote(try await engine.prepare())
        } catch {
            if once { throw ConfigError("the \(engine.name) engine cannot work: \(error.reason)") }
            await pipeline.pause(error.reason)
        }
        logger.info("upscaled starting", metadata: [
            "upscaled.root": "\(config.root.display)", "upscaled.engine": "\(engine.name)",
            "upscaled.target": "\(config.target.summary)", "upscaled.workers": "\(config.workers)",
            "upscaled.host": "\(config.hostID)",
        ])

        // The resources first: the group shuts down in reverse order, so they close last. Then
        // the presence: it beats until the jobs are done.
        var services = resources.services
        services.append(.init(service: HostPresenceService(presence: presence, runner: runner),
                              failureTerminationBehavior: .gracefullyShutdownGroup))
        if once {
            status.set(state: .working, mode: "once")
            services.append(.init(service: OnceService(pipeline: pipeline), successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        } else {
            // The watch exists before the scan: nothing dropped in between can be missed.
            let inboxService = InboxService(config: config, pipeline: pipeline, ignore: ignore, status: status, logger: logger)
            let mode = await inboxService.arm()
            status.set(state: .idle, mode: mode)
            await pipeline.republish()
            // From READY=1 on a stop is a graceful one, even if it comes before the service group
            // listens: kept for it rather than taking SIGTERM's default action (seen as exit by
            // signal 15 when a test, or systemctl, stopped the daemon the moment it was ready).
            SignalRouter.hold(SIGTERM)
            SignalRouter.hold(SIGINT)
            notifier.ready(status: status.flushNow().line)
            logger.info("ready: \(mode) on \(layout.inbox.display)")
            let reload = ReloadService(loader: loader, notifier: notifier, status: status, logger: logger) { newConfig in
                try engine.update(config: newConfig)          // first: a model that cannot load keeps everything
                await pipeline.update(config: newConfig)
                if inboxService.update(config: newConfig) {
                    // Files the old rules hid get no new event: look at the inbox again.
                    await pipeline.scan(reason: "rescan after ignore_suffixes changed")
                }
                await pipeline.recheckEngine()
                status.set(state: .idle, engine: engine.name, target: "\(newConfig.target.summary) \(engine.summary)")
                LogLevelSwitch.shared.level = Logger.Level(rawValue: newConfig.logLevel) ?? .info
                var notes: [String] = []
                if newConfig.root != config.root { notes.append("root") }
                if newConfig.workers != config.workers { notes.append("workers") }
                if newConfig.engine != config.engine { notes.append("engine") }
                if newConfig.hostID != config.hostID { notes.append("host_id") }
                if newConfig.web != config.web { notes.append("[web]") }
                return notes.isEmpty ? nil : "changes to \(notes.joined(separator: ", ")) take effect after a restart"
            }
            services += [PipelineService(pipeline: pipeline) as any Service, inboxService, reload].map {
                .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup)
            }
            if let interval = notifier.watchdogInterval() {
                services.append(.init(service: WatchdogService(notifier: notifier, interval: interval)))
            }
            services.append(.init(service: StoppingAnnouncer(notifier: notifier, status: status)))
            if serveWeb, let web {
                let parts = DaemonParts(config: config, layout: layout, status: status, pipeline: pipeline,
                                        history: history, metrics: metrics, io: io, logger: logger)
                // Whatever happens to the page, the daemon goes on filing files.
                services.append(.init(service: try web(parts), successTerminationBehavior: .ignore,
                                      failureTerminationBehavior: .ignore))
            }
        }
        // SIGTERM and SIGINT come through SignalRouter (no Dispatch), not the group's own
        // signal handling; each starts the same graceful shutdown.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask {
                for await signal in SignalRouter.arrivals(of: [SIGTERM, SIGINT]) {
                    if once {
                        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
                        logger.notice("\(name): finishing the jobs in flight, leaving the rest in the inbox")
                    }
                    await group.triggerGracefulShutdown()
                }
            }
            try await group.run()
            tasks.cancelAll()
        }
        let final = await pipeline.counters
        logger.info("stopped: done \(final.done), failed \(final.failed), quarantined \(final.quarantined)")
    }

    static func makeEngine(_ config: DaemonConfig, layout: FolderLayout, logger: Logger) throws -> any UpscaleEngine & EngineReconfigurable {
        switch config.engineKind {
        case .local:
            return try LocalEngine(settings: LocalEngineSettings(config: config), threads: config.workers)
        case .ai:
            let engine: AIEngine
            do { engine = try AIEngine(config: config) } catch let error as AIModelError {
                throw ConfigError("\(error)")                  // exit 78, with the path
            }
            for line in NcnnDevice.vulkanReport.split(separator: "\n") { logger.debug("ncnn: \(line)") }
            return engine
        case let kind:
            try VipsRuntime.start()
            let (key, source) = try APIKey.resolve(config: config.stability, environment: ProcessInfo.processInfo.environment)
            logger.info("using the Stability API at \(config.stability.host) with the key from \(source.rawValue)")
            return StabilityEngine(kind: kind, config: config, key: key, cacheDirectory: layout.cache, logger: logger)
        }
    }
}
