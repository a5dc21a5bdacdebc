import Foundation
import Logging
import Metrics
import NIOPosix
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// Carries one file through its life: claim, upscale, file. Every step that moves a user's
/// file is a single `rename(2)` or `link(2)` that never replaces anything, preceded by a
/// fsynced journal record, so a crash at any instant is resumed or rolled back by
/// `JobRunner+Recovery` and no file is ever lost or filed twice.
///
/// Blocking file work runs on the `io` thread pool; the engine brings its own threads.
public final class JobRunner: Sendable {
    let layout: FolderLayout
    let journal: JobJournal
    let engine: any UpscaleEngine
    let io: NIOThreadPool
    let logger: Logger

    /// Where a long job's progress goes (the status board): file, done (nil: ended), total.
    let progress: @Sendable (String, Int?, Int) -> Void
    /// This host's heartbeat and watch over the others on a shared root (nil in some tests).
    let presence: HostPresence?
    /// Claims a vanished share left half done (not put back, or not archived): finished as soon
    /// as it answers again (`returnStranded`), not only at the next start.
    let stranded = Mutex<[StrandedClaim]>([])
    /// Every job that ended done, failed or quarantined is recorded here (nil: not kept).
    let history: JobHistory?
    /// The engines a retry from the page may ask for instead of `engine` (nil: none).
    let alternates: AlternateEngines?

    public init(layout: FolderLayout, engine: any UpscaleEngine, io: NIOThreadPool, logger: Logger,
                presence: HostPresence? = nil, history: JobHistory? = nil, alternates: AlternateEngines? = nil,
                progress: @escaping @Sendable (String, Int?, Int) -> Void = { _, _, _ in }) {
        self.progress = progress
        self.history = history
        self.alternates = alternates
        self.presence = presence
        self.layout = layout
        self.journal = JobJournal(directory: layout.journal)
        self.engine = engine
        self.io = io
        self.logger = logger
    }

    /// When a file written in place that does not decode is tried again instead of failed.
    static let incompleteFiles = IncompleteFilePolicy()

    /// A claimed original: renamed into the claims folder under a job id.
    struct Claim: Sendable {
        var record: JournalRecord
        var relative: FilePath
        var path: FilePath
        var status: FileOperations.Status
    }

    /// Runs `body` on an I/O thread.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await io.runIfActive(body)
    }

    /// Processes the file at inbox-relative `relative`; `resuming` is a job recovered from the
    /// journal that is already claimed (a creative generation to poll again).
    /// `incompleteHistory` is non-nil for a file written in place (it may still be incomplete).
    func process(_ relative: FilePath, settings: JobSettings, resuming: Claim? = nil,
                 incompleteHistory: IncompleteFilePolicy.History? = nil,
                 pause: @Sendable (String) async -> Void = { _ in }) async -> JobOutcome {
        // The heartbeat is fresh before the claim, and kept fresh while the claim is ours.
        await presence?.enter()
        let outcome = await process(relative, settings: settings, resuming: resuming, incompleteHistory: incompleteHistory,
                                    pause: pause, started: .now)
        await presence?.leave()
        if case .vanished = outcome { await presence?.nudge() }   // perhaps another host took it
        return outcome
    }

    private func process(_ relative: FilePath, settings: JobSettings, resuming: Claim?,
                         incompleteHistory: IncompleteFilePolicy.History?,
                         pause: @Sendable (String) async -> Void, started: ContinuousClock.Instant) async -> JobOutcome {
        var log = logger
        log[metadataKey: "upscaled.file"] = "\(relative.display)"
        let claim: Claim
        do {
            if let resuming {
                claim = resuming
            } else {
                guard let claimed = try await blocking({ try self.claim(relative) }) else { return .vanished }
                claim = claimed
            }
        } catch let error as SystemCallError where error.isEnvironmental {
            // Disk full or read-only where our journal lives: nothing was moved; pause until it works.
            log.error("could not claim \(relative.display): \(error)")
            return .stalled(reason: "cannot claim files: \(error)")
        } catch {
            log.warning("could not claim \(relative.display): \(error)")
            return .deferred(reason: "cannot claim \(relative.display): \(error)")
        }
        log[metadataKey: "upscaled.job"] = "\(claim.record.id)"
        let jobEngine = await engine(for: claim, log: log)
        let outcome = await run(claim, engine: jobEngine, settings: settings, log: log, incompleteHistory: incompleteHistory, pause: pause)
        let seconds = (ContinuousClock.now - started).seconds
        var meta: Logger.Metadata = ["upscaled.engine": "\(jobEngine.name)", "upscaled.duration_s": "\(String(format: "%.3f", seconds))"]
        switch outcome {
        case .done(let output, _):
            meta["upscaled.outcome"] = "done"
            meta["upscaled.output"] = "\(layout.rootRelative(output).display)"
            log.info("upscaled \(relative.display) → \(layout.rootRelative(output).display)", metadata: meta)
        case .failed(let code, let reason):
            meta["upscaled.outcome"] = "failed"
            meta["upscaled.reason"] = "\(code)"
            log.warning("failed \(relative.display): \(reason)", metadata: meta)
        case .quarantined(let code, let reason):
            meta["upscaled.outcome"] = "quarantined"
            meta["upscaled.reason"] = "\(code)"
            log.warning("quarantined \(relative.display): \(reason)", metadata: meta)
        case .deferred(let reason):
            meta["upscaled.outcome"] = "deferred"
            log.notice("put back \(relative.display): \(reason)", metadata: meta)
        case .stalled(let reason):
            meta["upscaled.outcome"] = "stalled"
            log.error("put back \(relative.display) and paused: \(reason)", metadata: meta)
        case .retrySoon(let reason, _):
            meta["upscaled.outcome"] = "retry"
            log.notice("put back \(relative.display) to look again soon: \(reason)", metadata: meta)
        case .paused(let reason):
            meta["upscaled.outcome"] = "paused"
            log.error("put back \(relative.display) and paused the engine: \(reason)", metadata: meta)
        case .vanished:
            break
        }
        remember(outcome, of: claim, seconds: seconds, settings: settings, engine: jobEngine)
        if let label = meta["upscaled.outcome"] {
            Counter(label: "upscaled_files_total", dimensions: [("outcome", "\(label)"), ("engine", jobEngine.name)]).increment()
            if case .done = outcome {
                Metrics.Timer(label: "upscaled_job_duration_seconds", dimensions: [("engine", jobEngine.name)])
                    .recordSeconds(seconds)
            }
        }
        return outcome
    }

    /// `jobEngine`: the daemon's engine, or the one a person chose for this file on the page.
    private func run(_ claim: Claim, engine jobEngine: any UpscaleEngine, settings: JobSettings, log: Logger,
                     incompleteHistory: IncompleteFilePolicy.History?, pause: @Sendable (String) async -> Void) async -> JobOutcome {
        let name = claim.relative.display
        // Not a regular file: never opened, never followed.
        if claim.status.kind != .regular {
            let what: String
            switch claim.status.kind {
            case .symlink: what = "a symbolic link; links are not followed (copy the file itself into the inbox)"
            case .other(let kind): what = "\(kind), not a regular file"
            default: what = "not a regular file"
            }
            return await fileAway(claim, failure: UpscaleFailure(code: .notARegularFile, reason: "\(name) is \(what)"), engine: jobEngine.name)
        }
        let format: ImageFormat
        do {
            format = try await blocking { try InputSniff.format(of: claim.path, name: name) }
        } catch let failure as UpscaleFailure {
            return await fileAway(claim, failure: failure, engine: jobEngine.name)
        } catch {
            return await putBack(claim, reason: "cannot read it: \(error)")
        }
        let outputFormat = settings.outputFormat.resolved(for: format)
        let outDirectory = layout.join(layout.outbox, claim.relative.removingLastComponent())
        let temp: TempFile
        do {
            temp = try await blocking {
                try FileOperations.makeDirectories(outDirectory)
                return try TempFile.create(in: outDirectory, tag: claim.record.id)
            }
        } catch let error as SystemCallError where error.isEnvironmental {
            _ = await putBack(claim, reason: "cannot write to \(outDirectory.display): \(error)")
            return .stalled(reason: "cannot write to \(outDirectory.display): \(error)")
        } catch {
            return await putBack(claim, reason: "cannot write to \(outDirectory.display): \(error)")
        }
        let journal = self.journal
        let io = self.io
        let baseRecord = claim.record
        let request = UpscaleRequest(
            input: claim.path, displayName: name, inputFormat: format, outputFormat: outputFormat, target: settings.target,
            folder: claim.relative.components.count > 1 ? claim.relative.components.first.map { $0.string } : nil,
            resumeGenerationID: claim.record.generationID,
            recordGeneration: { [engineName = jobEngine.name] id in
                var updated = baseRecord
                updated.generationID = id
                updated.engine = engineName
                let record = updated
                try await io.runIfActive { try journal.write(record) }
            },
            progress: { [progress] done, total in progress(name, done, total) })
        let result: UpscaleResult
        do {
            defer { progress(name, nil, 0) }
            result = try await jobEngine.upscale(request, into: temp)
        } catch {
            temp.close(committed: false)
            // "Stable" is not "complete": a file written in place that does not decode may still be
            // being written (a writer that paused longer than the quiet window). Look again soon.
            if error.code == .undecodable, let history = incompleteHistory,
               case .retry(let next) = Self.incompleteFiles.afterFailure(history, size: claim.status.size,
                                                                        modified: claim.status.modified) {
                guard await putBackReporting(claim) else {
                    return .deferred(reason: "\(name) could not be put back into the inbox yet; it goes back when the folder answers again")
                }
                return .retrySoon(reason: "\(name) does not decode yet (look \(next.failures), written in place: "
                                          + "a writer may still be at work)", history: next)
            }
            // The place cannot take the result (a full disk, a share gone read-only): the file
            // goes back and the pipeline pauses until a test write succeeds.
            if error.code == .diskFull || (error.code == .writeFailed && error.disposition == .retryLater) {
                _ = await putBack(claim, reason: error.reason)
                return .stalled(reason: error.reason)
            }
            switch error.disposition {
            case .failInput: return await fileAway(claim, failure: error, engine: jobEngine.name)
            case .quarantine: return await fileAway(claim, failure: error, quarantine: true, engine: jobEngine.name)
            case .retryLater where error.code == .stoppedPolling:
                // The generation is paid for and journaled: keep the claim, poll again at the next start.
                return .deferred(reason: error.reason)
            case .retryLater: return await putBack(claim, reason: error.reason)
            case .pauseEngine:
                await pause(error.reason)                  // first: no other worker may take it meanwhile
                _ = await putBack(claim, reason: error.reason)
                return .paused(reason: error.reason)
            }
        }
        do {
            let output = try await blocking {
                try self.commit(claim, temp: temp, result: result, outputName: claim.relative.lastComponent!,
                                outDirectory: outDirectory, afterSuccess: settings.afterSuccess)
            }
            guard let output else { return .deferred(reason: "it changed while it was being read") }
            let finished = FinishedJob(inputWidth: result.inputWidth, inputHeight: result.inputHeight, width: result.width,
                                       height: result.height, original: output.original.map { layout.rootRelative($0).base64 })
            return .done(output: output.output, finished: finished)
        } catch let pending as DisposalPending {
            stranded.withLock { $0.append(.dispose(claim, pending.afterSuccess)) }
            log.error("the result is in \(pending.output.display) but the original stays claimed until its folder answers again: \(pending.cause)")
            return .done(output: pending.output)
        } catch let failure as UpscaleFailure {
            return await fileAway(claim, failure: failure, engine: jobEngine.name)
        } catch let error as SystemCallError where error.isEnvironmental {
            _ = await putBack(claim, reason: "cannot file the result: \(error)")
            return .stalled(reason: "cannot write results: \(error)")
        } catch {
            return await putBack(claim, reason: "cannot file the result: \(error)")
        }
    }

    private func fileAway(_ claim: Claim, failure: UpscaleFailure, quarantine: Bool = false, engine: String) async -> JobOutcome {
        do {
            try await blocking { try self.fileAway(claim, failure: failure, quarantine: quarantine, engineName: engine) }
            return quarantine ? .quarantined(code: failure.code, reason: failure.reason)
                              : .failed(code: failure.code, reason: failure.reason)
        } catch {
            return await putBack(claim, reason: "cannot move it to \(quarantine ? "quarantine" : "failed"): \(error)")
        }
    }

    private func putBack(_ claim: Claim, reason: String) async -> JobOutcome {
        _ = await putBackReporting(claim)
        return .deferred(reason: reason)
    }

    /// Puts the original back into the inbox under its own name; false if it stayed claimed.
    private func putBackReporting(_ claim: Claim) async -> Bool {
        do {
            try await blocking { try self.putBack(claim) }
            return true
        } catch {
            // The original stays in the claims folder with its journal record: it goes back
            // once the place answers again, or at the next start. It is not lost.
            stranded.withLock { $0.append(.putBack(claim)) }
            logger.error("could not put \(claim.relative.display) back into the inbox: \(error); it is safe in \(claim.path.display) and goes back when the folder answers again")
            return false
        }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
