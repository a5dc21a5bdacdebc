import Logging
import NIOPosix
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// Pausing and resuming: the causes live in `PauseState` (pure), each with its own probe here.
extension Pipeline {
    // MARK: - Pause

    /// The engine (or the place) cannot work: stop handing out jobs, and check with backoff until
    /// it works. Each cause has its own probe and only that probe lifts it (`PauseState`).
    public func pause(_ reason: String, cause: PauseState.Cause = .engine) async {
        await execute(machine.pause(cause, reason: reason))
    }

    /// Checks `cause` with backoff until it works: the engine's own check (a key from 15x the
    /// retry base), or a test write to the outbox and the journal every 2 s (cheap).
    func startProbe(_ cause: PauseState.Cause) {
        probes[cause]?.cancel()
        let engine = runner.engine
        let outbox = layout.outbox
        let journal = layout.journal
        let tag = layout.probeTag
        let io = self.io
        let base = cause == .engine ? max(0.2, retryBaseSeconds * 15) : 2
        probes[cause] = Task { [weak self] in
            var delay = base
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                if Task.isCancelled { return }
                switch cause {
                case .engine:
                    do throws(UpscaleFailure) {
                        let note = try await engine.prepare()
                        if !Task.isCancelled { await self?.probePassed(.engine, note: note) }
                        return
                    } catch {
                        await self?.probeFailed(.engine, reason: error.reason)
                        delay = min(delay * 2, 600)
                    }
                case .disk:
                    let ok = (try? await io.runIfActive {
                        try Self.probeWritable(outbox, bytes: 4 << 20, tag: tag) && Self.probeWritable(journal, bytes: 64 << 10, tag: tag)
                    }) ?? false
                    if ok {
                        if !Task.isCancelled { await self?.probePassed(.disk, note: nil) }
                        return
                    }
                }
            }
        }
    }

    /// Whether `bytes` can be written to `folder` now: an invisible temp file, written, synced
    /// and dropped (a result needs a few MB in the outbox; a journal record a little in the inbox).
    static func probeWritable(_ folder: FilePath, bytes: Int, tag: String) throws -> Bool {
        let temp = try TempFile.create(in: folder, tag: tag)
        defer { temp.close(committed: false) }
        try temp.write([UInt8](repeating: 0, count: bytes))
        try temp.sync()
        return true
    }

    fileprivate func probePassed(_ cause: PauseState.Cause, note: String?) async {
        await execute(machine.probePassed(cause, note: note))
    }

    fileprivate func probeFailed(_ cause: PauseState.Cause, reason: String) async {
        await execute(machine.probeFailed(cause, reason: reason))
    }

    /// On reload: check the engine at once instead of waiting for its next backoff step. This
    /// decides the engine's cause only; a full or read-only disk keeps its pause and its probe.
    public func recheckEngine() async {
        do {
            let note = try await runner.engine.prepare()
            await execute(machine.engineWorksOnReload(note: note))
        } catch {
            await execute(machine.engineFailsOnReload(reason: error.reason))
        }
    }
}
