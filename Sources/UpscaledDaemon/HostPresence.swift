import Logging
import NIOPosix
import ServiceLifecycle
import UpscaledCore
import UpscaledLinux

/// This host's presence on a shared root: its heartbeat while it holds claims, and its watch
/// over the other hosts, whose work it takes over when `HostLease` says they are dead.
///
/// Idle means idle: a host with no claims has nothing anyone could take over, so it does not
/// beat; and a host that sees no other host holding work keeps no timer. The heartbeat is made
/// fresh before every claim (so a claim is never younger than a stale heartbeat), then rewritten
/// every `beatInterval` for as long as this host's journal holds anything, and once more after.
/// Other hosts are looked at: at start, at every beat (so once after every spell of work), when
/// a file went from the inbox before we took it, at polls (at most once per beat interval), and,
/// while some live host holds work, when its lease would run out.
public actor HostPresence {
    private let heartbeat: HostHeartbeat
    private let lease: HostLease
    private let io: NIOThreadPool
    private let logger: Logger
    /// Written into the heartbeat, for a person looking: who, which process, which run.
    private let signature: String

    private var keeper: JobRunner?
    private var jobs = 0
    private var lastBeat: ContinuousClock.Instant?
    private var lastLook: ContinuousClock.Instant?
    private var beating: Task<Void, Never>?
    private var watching: Task<Void, Never>?
    /// When the last look wants the next one: a live host's lease running out.
    private var nextJudgement: ContinuousClock.Instant?
    /// Each other host's heartbeat content as last seen, and since when it has not changed.
    private var watched: [String: (heartbeat: String?, since: ContinuousClock.Instant)] = [:]
    /// Counts this host's beats, so its heartbeat's content changes at every one.
    private var beats = 0
    private var beatFailing = false
    /// The service ended: no timer may start again.
    private var stopped = false
    private let (fences, fence) = AsyncStream.makeStream(of: HostHeartbeat.TakenOver.self)

    public init(heartbeat: HostHeartbeat, lease: HostLease, io: NIOThreadPool, logger: Logger, signature: String) {
        self.heartbeat = heartbeat
        self.lease = lease
        self.io = io
        self.logger = logger
        self.signature = signature
    }

    private var interval: Duration { .milliseconds(Int(lease.beatInterval * 1000)) }

    // MARK: - Called by the jobs

    /// A job is about to claim a file (or resume a claim): the heartbeat is made fresh first.
    func enter() async {
        jobs += 1
        if lastBeat.map({ $0.duration(to: .now) >= interval }) ?? true { _ = await beat() }
        if beating == nil {
            watching?.cancel()
            watching = nil
            beating = Task { await self.beatWhileHolding() }
        }
    }

    /// A job ended. The beat loop goes on to its next tick, which beats and looks at the other
    /// hosts once more, and only then stops if our journal holds nothing: so a stream of short
    /// jobs still looks at the others every interval, and a host that has just worked looks
    /// once after its work (another host may have died meanwhile, holding claims) before it
    /// falls silent.
    func leave() async {
        jobs -= 1
    }

    /// Something suggests another host is at work (a file it claimed first, a poll): look at
    /// the others, at most once per beat interval.
    func nudge() async {
        if let lastLook, lastLook.duration(to: .now) < interval { return }
        await look()
    }

    // MARK: - The loop

    private func beatWhileHolding() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            await look(beating: true)
            guard jobs == 0, let keeper else { continue }
            let holds = (try? await io.runIfActive({ keeper.holdsWork() })) ?? false
            if jobs == 0 && !holds {
                beating = nil
                watchIfIdle()
                return
            }
        }
    }

    /// While we beat, every beat looks anyway; idle, only a live host holding work keeps a timer.
    private func watchIfIdle() {
        watching?.cancel()
        watching = nil
        guard beating == nil, !stopped, let next = nextJudgement else { return }
        watching = Task {
            try? await Task.sleep(until: next, clock: .continuous)
            if !Task.isCancelled { await self.look() }
        }
    }

    /// Judges every other host by the server's "now" and takes over the dead. The beat that
    /// gives "now" is written only when some other host holds work (or when `beating` asks for
    /// it anyway): an idle host on a root where no one else holds work writes nothing.
    private func look(beating: Bool = false) async {
        guard let keeper else { return }
        var now: Double?
        if beating {
            now = await beat()
            guard now != nil else { return }
        }
        lastLook = .now
        guard let first = try? await io.runIfActive({ keeper.observePeers() }) else { return }
        guard first.contains(where: \.holdsWork) else {
            nextJudgement = nil
            watched = watched.filter { id, _ in first.contains { $0.id == id } }
            watchIfIdle()
            return
        }
        // Judged on a look made after "now" was taken: a peer's sign is never newer than "now"
        // merely because we looked first. Beating, the first look already was; else look again.
        let peers: [HostLease.Peer]
        if now == nil {
            now = await beat()
            guard now != nil, let second = try? await io.runIfActive({ keeper.observePeers() }) else { return }
            peers = second
        } else {
            peers = first
        }
        guard let now else { return }
        let judged = peers.map(remember)
        let plan = lease.plan(judged, now: now)
        for peer in judged where peer.holdsWork {
            logger.debug("host \(peer.id): \(lease.verdict(peer, now: now)); lock held \(peer.lockHeld), last sign \(peer.lastSign.map { "\(Int(now - $0)) s ago" } ?? "none"), heartbeat unchanged for \(Int(peer.unchangedFor ?? 0)) s")
        }
        watched = watched.filter { id, _ in peers.contains { $0.id == id } }
        let expected = Dictionary(peers.map { ($0.id, $0.heartbeat) }, uniquingKeysWith: { a, _ in a })
        guard let report = try? await io.runIfActive({ () -> JobRunner.RecoveryReport in
            var report = JobRunner.RecoveryReport()
            for id in plan.takeOver { keeper.takeOver(id, heartbeat: .some(expected[id] ?? nil), report: &report) }
            return report
        }) else { return }
        for problem in report.problems { logger.warning("take-over: \(problem)") }
        for id in report.takenOver {
            logger.notice("took over the work of host \(id): silent for longer than host_lease_s (\(Int(lease.seconds)) s) while it held claims",
                          metadata: ["upscaled.host": "\(id)"])
        }
        if !report.takenOver.isEmpty {
            logger.notice("after the take-over: \(report.finished) finished, \(report.putBack) returned to the inbox")
        }
        nextJudgement = plan.judgeAgainIn.map { .now + .milliseconds(Int($0 * 1000)) }
        watchIfIdle()
    }

    /// `peer` with how long this host has watched its heartbeat unchanged (0 when it changed or
    /// is seen for the first time).
    private func remember(_ peer: HostLease.Peer) -> HostLease.Peer {
        var peer = peer
        if let seen = watched[peer.id], seen.heartbeat == peer.heartbeat {
            let unchanged = seen.since.duration(to: .now)
            peer.unchangedFor = Double(unchanged.components.seconds) + Double(unchanged.components.attoseconds) / 1e18
        } else {
            watched[peer.id] = (peer.heartbeat, .now)
            peer.unchangedFor = 0
        }
        return peer
    }

    /// One heartbeat. - Returns: the server's "now", or nil when it could not be written.
    @discardableResult
    func beat() async -> Double? {
        let heartbeat = self.heartbeat
        beats += 1
        let content = "\(signature), jobs \(jobs), beat \(beats)"
        do {
            let now = try await io.runIfActive { () throws(HostHeartbeat.BeatError) -> Double in try heartbeat.beat(content) }
            lastBeat = .now
            if beatFailing { logger.notice("the heartbeat \(heartbeat.file.display) is written again") }
            beatFailing = false
            return now
        } catch HostHeartbeat.BeatError.takenOver(let taken) {
            fence.yield(taken)
        } catch {
            // A full or gone share: the claims fail the same way and pause the pipeline.
            if !beatFailing { logger.error("\(error)") }
            beatFailing = true
        }
        return nil
    }

    // MARK: - The service's life

    /// Looks at the other hosts once, then watches until shutdown; throws when this host's
    /// folder was taken over (a long freeze, a network partition): the daemon stops with exit
    /// 75 and, under systemd, starts again with a fresh folder.
    func run(keeper: JobRunner) async throws {
        self.keeper = keeper
        await look()
        let fences = self.fences
        let taken = await cancelWhenGracefulShutdown { await fences.first { _ in true } }
        stopped = true
        beating?.cancel()
        beating = nil
        watching?.cancel()
        watching = nil
        nextJudgement = nil
        if let taken { throw taken }
    }
}

/// Runs `HostPresence` in the service group: a host taken over stops the whole daemon.
struct HostPresenceService: Service {
    let presence: HostPresence
    let runner: JobRunner

    func run() async throws { try await presence.run(keeper: runner) }
}
