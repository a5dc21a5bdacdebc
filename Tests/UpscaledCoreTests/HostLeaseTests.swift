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

    @Test func theBeatIsATenthOfTheLeaseBetweenOneAndTenSeconds() {
        #expect(HostLease(seconds: 300).beatInterval == 10)
        #expect(HostLease(seconds: 30).beatInterval == 3)
        #expect(HostLease(seconds: 5).beatInterval == 1)
    }
}
