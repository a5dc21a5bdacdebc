import Testing
import UpscaledCore

/// The lease rules for taking over another host's work on a shared root (issue 11).
@Suite struct HostLeaseTests {
    let lease = HostLease(seconds: 300)
    /// A server mtime; every judgement is relative to it, never to a clock.
    let now = 1_800_000_000.0

    func peer(_ id: String = "b", silentFor: Double?, work: Bool = true, locked: Bool = false) -> HostLease.Peer {
        .init(id: id, lastSign: silentFor.map { now - $0 }, holdsWork: work, lockHeld: locked)
    }

    @Test func aHostSilentLongerThanTheLeaseIsDeadOnlyIfItHoldsWork() {
        #expect(lease.verdict(peer(silentFor: 301), now: now) == .dead(silentFor: 301))
        #expect(lease.verdict(peer(silentFor: 10_000, work: false), now: now) == .nothingToTake)
        #expect(lease.verdict(peer(silentFor: 300), now: now) == .alive(judgeAgainIn: 0))   // not yet: strictly older
    }

    @Test func aLiveHostIsJudgedAgainWhenItsLeaseWouldRunOut() {
        #expect(lease.verdict(peer(silentFor: 20), now: now) == .alive(judgeAgainIn: 280))
        let plan = lease.plan([peer("b", silentFor: 20), peer("c", silentFor: 200), peer("d", silentFor: nil, work: false)], now: now)
        #expect(plan == .init(takeOver: [], judgeAgainIn: 101))
    }

    @Test func aHeldLockIsProofOfLifeWhateverTheMtimesSay() {
        #expect(lease.verdict(peer(silentFor: 5_000, locked: true), now: now) == .alive(judgeAgainIn: 300))
    }

    @Test func noReadableSignMeansJudgeAgainNotTakeOver() {
        #expect(lease.verdict(peer(silentFor: nil), now: now) == .alive(judgeAgainIn: 300))
    }

    /// Clocks are not compared: a peer whose mtimes lie ahead of ours is fresh, not dead.
    @Test func aSignFromTheFutureCountsAsFresh() {
        #expect(lease.verdict(peer(silentFor: -3_600), now: now) == .alive(judgeAgainIn: 300))
    }

    @Test func thePlanTakesOverEveryDeadHostAndWatchesTheLiveOnes() {
        let plan = lease.plan([peer("b", silentFor: 400), peer("c", silentFor: 100), peer("d", silentFor: 9_999)], now: now)
        #expect(plan.takeOver == ["b", "d"])
        #expect(plan.judgeAgainIn == 201)
        #expect(lease.plan([peer("b", silentFor: 1, work: false)], now: now).judgeAgainIn == nil)   // idle: no timer
    }

    /// Where mtimes come from the writing client's clock, a live host with a slow clock looks
    /// silent: its heartbeat changing under the judge's eyes keeps it alive.
    @Test func aHeartbeatSeenChangingIsAliveWhateverItsMtimesSay() {
        var watched = peer(silentFor: 5_000)
        watched.unchangedFor = 12
        #expect(lease.verdict(watched, now: now) == .alive(judgeAgainIn: 288))
        watched.unchangedFor = 301
        #expect(lease.verdict(watched, now: now) == .dead(silentFor: 5_000))
    }

    /// A judge that has just started has watched nothing yet: it waits one lease, even for a host
    /// whose mtimes say it died yesterday.
    @Test func aFirstLookNeverTakesOver() {
        var first = peer(silentFor: 86_400)
        first.unchangedFor = 0
        #expect(lease.verdict(first, now: now) == .alive(judgeAgainIn: 300))
        #expect(lease.plan([first], now: now) == .init(takeOver: [], judgeAgainIn: 301))
    }

    /// Both signs must say dead: fresh mtimes keep a host alive however long its content stayed.
    @Test func freshMtimesKeepAHostAliveThoughItsHeartbeatDidNotChange() {
        var still = peer(silentFor: 30)
        still.unchangedFor = 10_000
        #expect(lease.verdict(still, now: now) == .alive(judgeAgainIn: 270))
    }

    @Test func theBeatIsATenthOfTheLeaseBetweenOneAndTenSeconds() {
        #expect(HostLease(seconds: 300).beatInterval == 10)
        #expect(HostLease(seconds: 30).beatInterval == 3)
        #expect(HostLease(seconds: 5).beatInterval == 1)
    }
}
