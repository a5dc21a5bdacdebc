import Foundation
import Metrics
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Keeps systemd's `STATUS=` and the status file (read by `upscaled status`) current without
/// flooding either: changes are coalesced and published at most every `interval`. When nothing
/// changes nothing is written, so an idle daemon makes no wake-ups here.
public final class StatusBoard: Sendable {
    struct State {
        var snapshot: StatusSnapshot
        var lastFlush: ContinuousClock.Instant?
        var flushScheduled = false
    }

    private let state: Mutex<State>
    private let file: FilePath
    private let notifier: SystemdNotifier
    private let interval: Duration
    private let metrics: MetricsExporter?
    /// Told every published snapshot (the page's live updates); empty with no page open.
    private let observers = Mutex<[UInt64: @Sendable (StatusSnapshot) -> Void]>([:])
    private let nextObserver = Atomic<UInt64>(0)

    public init(file: FilePath, notifier: SystemdNotifier, engine: String, target: String,
                interval: Duration = .milliseconds(500), metrics: MetricsExporter? = nil) {
        self.metrics = metrics
        let now = WallClock.iso8601()
        self.state = Mutex(State(snapshot: StatusSnapshot(
            pid: getpid(), state: .starting, mode: "inotify", engine: engine, target: target,
            startedAt: now, updatedAt: now)))
        self.file = file
        self.notifier = notifier
        self.interval = interval
    }

    public var snapshot: StatusSnapshot { state.withLock { $0.snapshot } }

    /// New counters from the pipeline; `working`/`idle` follows from them.
    public func update(counters: PipelineCounters) {
        change { snapshot in
            snapshot.queued = counters.queued
            snapshot.inFlight = counters.inFlight
            snapshot.done = counters.done
            snapshot.failed = counters.failed
            snapshot.quarantined = counters.quarantined
            snapshot.overflows = counters.overflows
            snapshot.lastError = counters.lastError
            snapshot.note = counters.note
            if counters.paused != nil, snapshot.state != .stopping, snapshot.state != .stopped {
                snapshot.state = .paused
            } else if [.idle, .working, .starting, .paused].contains(snapshot.state) {
                snapshot.state = counters.queued + counters.inFlight > 0 ? .working : .idle
            }
        }
    }

    /// A long job has come further (`done` of `total`); `nil` when it has ended.
    public func progress(file: String, done: Int?, total: Int) {
        change { snapshot in
            var jobs = (snapshot.progress ?? []).filter { $0.file != file }
            if let done { jobs.append(JobProgress(file: file, done: done, total: total)) }
            jobs.sort { $0.file < $1.file }
            snapshot.progress = jobs.isEmpty ? nil : jobs
        }
    }

    public func set(state newState: StatusSnapshot.State, mode: String? = nil, engine: String? = nil, target: String? = nil) {
        change { snapshot in
            snapshot.state = newState
            if let mode { snapshot.mode = mode }
            if let engine { snapshot.engine = engine }
            if let target { snapshot.target = target }
        }
    }

    /// Where the page listens (nil: nowhere), for `upscaled web` and `upscaled status`.
    public func set(web address: String?, tokenFile: String? = nil) {
        change {
            $0.web = address
            $0.webTokenFile = address == nil ? nil : tokenFile
        }
    }

    /// Publishes now (for READY=1 and STOPPING=1, which carry the status with them).
    @discardableResult
    public func flushNow() -> StatusSnapshot {
        let snapshot = state.withLock { state -> StatusSnapshot in
            state.snapshot.updatedAt = WallClock.iso8601()
            state.lastFlush = .now
            return state.snapshot
        }
        write(snapshot)
        return snapshot
    }

    private func change(_ body: (inout StatusSnapshot) -> Void) {
        let delay: Duration? = state.withLock { state in
            let before = state.snapshot
            body(&state.snapshot)
            guard state.snapshot != before, !state.flushScheduled else { return nil }
            state.flushScheduled = true
            guard let last = state.lastFlush else { return .zero }
            let since = ContinuousClock.now - last
            return since >= interval ? .zero : interval - since
        }
        guard let delay else { return }
        Task {
            if delay > .zero { try? await Task.sleep(for: delay) }
            let snapshot = self.state.withLock { state -> StatusSnapshot in
                state.flushScheduled = false
                state.lastFlush = .now
                state.snapshot.updatedAt = WallClock.iso8601()
                return state.snapshot
            }
            self.write(snapshot)
        }
    }

    /// The status file is written on a thread of its own, not Swift's cooperative pool: on a
    /// network inbox the write may block.
    private static let writer = SerialWorker(name: "status-writer")

    /// Calls `observer` with each snapshot published from now on, until `removeObserver`.
    public func observe(_ observer: @escaping @Sendable (StatusSnapshot) -> Void) -> UInt64 {
        let token = nextObserver.add(1, ordering: .relaxed).newValue
        observers.withLock { $0[token] = observer }
        return token
    }

    public func removeObserver(_ token: UInt64) {
        _ = observers.withLock { $0.removeValue(forKey: token) }
    }

    private func write(_ snapshot: StatusSnapshot) {
        notifier.status(snapshot.line)
        for observer in observers.withLock({ Array($0.values) }) { observer(snapshot) }
        if let metrics {
            Gauge(label: "upscaled_queue_depth").record(snapshot.queued)
            Gauge(label: "upscaled_in_flight").record(snapshot.inFlight)
            Gauge(label: "upscaled_overflow_rescans").record(snapshot.overflows)
            metrics.write()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(snapshot) else { return }
        let file = self.file
        Self.writer.post {
            // Not fsynced: a status file is a view, not a promise.
            try? FileOperations.writeAtomically(Array(data) + [0x0A], to: file, durable: false)
        }
    }

    /// Waits until every status write queued so far is on disk (for tests and shutdown).
    public func drainWrites() {
        Self.writer.flush()
        metrics?.drain()
    }
}
