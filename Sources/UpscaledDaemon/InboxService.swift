import Logging
import ServiceLifecycle
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Notices new files and feeds them to the pipeline until graceful shutdown, in whichever way
/// the inbox allows:
///
/// - **inotify** (local filesystems): events as they happen, plus a safety rescan every
///   `rescan_interval_s` and a full rescan after a queue overflow;
/// - **polling** (NFS, SMB/CIFS, FUSE — whose remote writes produce no inotify event — or when
///   forced, or when the kernel's watch limit is reached): a scan every `poll_interval_ms`,
///   with the quiet window stretched to two poll intervals;
/// - **waiting for the inbox** when it vanished (an unmounted share): missing is never taken
///   for deleted; when it is back it is re-armed and rescanned.
public final class InboxService: Service {
    private let inbox: FilePath
    private let config: DaemonConfig
    private let pipeline: Pipeline
    private let status: StatusBoard
    private let logger: Logger
    private let current = Mutex<InboxWatcher?>(nil)
    private let stopping = Mutex(false)

    /// How the inbox is being watched right now.
    enum Mode: Equatable { case inotify, polling(String), waiting }

    public init(config: DaemonConfig, pipeline: Pipeline, ignore: SharedIgnoreRules, status: StatusBoard, logger: Logger) {
        self.inbox = config.inbox
        self.config = config
        self.pipeline = pipeline
        self.status = status
        self.logger = logger
        self.ignore = ignore
    }

    /// Shared with the pipeline's scans.
    private let ignore: SharedIgnoreRules

    /// A reload: the watcher and the scans ignore what the new `ignore_suffixes` say from now on.
    /// - Returns: whether the rules changed (files they hid until now need a scan to be seen).
    public func update(config: DaemonConfig) -> Bool {
        let changed = ignore.update(config: config)
        let rules = ignore.current
        current.withLock { $0?.setIgnore(rules) }
        return changed
    }

    /// Arms the watch (or settles on polling) and queues the start-up scan; called before READY=1,
    /// so READY means "watched and caught up". - Returns: the mode, for the status.
    public func arm() async -> String {
        let mode = await armOnce()
        await pipeline.scan(reason: "start-up scan")
        return describe(mode)
    }

    /// Written by `arm` before the service runs and by the service's own loop afterwards.
    private let modeState = Mutex<Mode>(.waiting)
    private var armedMode: Mode {
        get { modeState.withLock { $0 } }
        set { modeState.withLock { $0 = newValue } }
    }

    private func armOnce() async -> Mode {
        guard (try? FileOperations.statusIfPresent(inbox))??.kind == .directory else {
            armedMode = .waiting
            return .waiting
        }
        let mode = chooseMode()
        if mode == .inotify {
            do {
                let watcher = try InboxWatcher(inbox: inbox, ignore: ignore.current)
                watcher.start()
                current.withLock { $0 = watcher }
                armedMode = .inotify
                return .inotify
            } catch {
                let message = InboxWatcher.limitMessage(error)
                logger.error("cannot watch the inbox with inotify: \(message); polling it every \(config.pollIntervalMilliseconds) ms instead")
                await pipeline.noteError(message)
                armedMode = .polling("inotify unavailable")
                await pipeline.setMinimumQuietWindow(pollWindow)
                return armedMode
            }
        }
        armedMode = mode
        await pipeline.setMinimumQuietWindow(pollWindow)
        return mode
    }

    private var pollWindow: Double { 2 * Double(config.pollIntervalMilliseconds) / 1000 }

    private func chooseMode() -> Mode {
        switch config.watch {
        case .inotify: return .inotify
        case .poll: return .polling("forced")
        case .auto:
            guard let magic = try? FileOperations.filesystemMagic(inbox) else { return .inotify }
            let kind = FilesystemKind.classify(magic: magic)
            if kind.isNetworkOrFUSE {
                logger.notice("the inbox is on \(kind.name): inotify cannot see writes made by other machines there, so it is polled every \(config.pollIntervalMilliseconds) ms")
                return .polling(kind.name)
            }
            return .inotify
        }
    }

    private func describe(_ mode: Mode) -> String {
        switch mode {
        case .inotify: "inotify"
        case .polling(let why): "polling (\(why))"
        case .waiting: "waiting for inbox"
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !self.stopping.withLock({ $0 }) {
                switch self.armedMode {
                case .inotify: await self.runInotify()
                case .polling: await self.runPolling()
                case .waiting: await self.waitForInbox()
                }
                if self.stopping.withLock({ $0 }) { break }
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.current.withLock { $0?.stop() }
        }
    }

    private func runInotify() async {
        guard let watcher = current.withLock({ $0 }) else { armedMode = .waiting; return }
        status.set(state: .idle, mode: "inotify")
        // The periodic safety rescan: one timer, only in this mode, off with rescan_interval_s = 0.
        let rescan: Task<Void, Never>? = config.rescanIntervalSeconds > 0 ? Task { [pipeline, config] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(config.rescanIntervalSeconds))
                if Task.isCancelled { return }
                await pipeline.scan(reason: "periodic safety rescan")
            }
        } : nil
        defer { rescan?.cancel() }
        var gone = false
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
                gone = true
                watcher.stop()
            }
        }
        current.withLock { $0 = nil }
        if gone && !stopping.withLock({ $0 }) {
            let message = "the inbox \(inbox.display) was removed or unmounted; waiting for it to come back (nothing in it is treated as deleted)"
            logger.error("\(message)")
            await pipeline.noteError(message)
            armedMode = .waiting
        }
    }

    private func runPolling() async {
        status.set(state: .idle, mode: describe(armedMode))
        while !stopping.withLock({ $0 }) {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.config.pollIntervalMilliseconds)) }
            if stopping.withLock({ $0 }) { return }
            guard (try? FileOperations.statusIfPresent(inbox))??.kind == .directory else {
                logger.error("the inbox \(inbox.display) is gone; waiting for it to come back (nothing in it is treated as deleted)")
                armedMode = .waiting
                return
            }
            await pipeline.scan(reason: "poll")
        }
    }

    private func waitForInbox() async {
        status.set(state: .paused, mode: "waiting for inbox")
        // Only in this degraded state: look for the inbox every two seconds.
        while !stopping.withLock({ $0 }) {
            if (try? FileOperations.statusIfPresent(inbox))??.kind == .directory {
                let mode = await armOnce()
                if mode != .waiting {
                    logger.notice("the inbox \(inbox.display) is back; watching it again (\(describe(mode)))")
                    await pipeline.noteError(nil)
                    await pipeline.scan(reason: "rescan after the inbox came back")
                    status.set(state: .idle, mode: describe(mode))
                    return
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
        }
    }
}
