import Testing
import UpscaledCore

@Suite struct SettleDecisionTests {
    @Test func movedInIsReadyAtOnce() {
        #expect(SettleDecision.decide(arrival: .movedIn, modified: 100, unchangedSinceLastLook: true, now: 100, quietWindow: 5) == .ready)
    }

    @Test func writtenInPlaceWaitsForTheQuietWindow() {
        #expect(SettleDecision.decide(arrival: .writtenInPlace, modified: 100, unchangedSinceLastLook: true, now: 101, quietWindow: 5)
            == .recheck(at: 105))
        #expect(SettleDecision.decide(arrival: .writtenInPlace, modified: 100, unchangedSinceLastLook: true, now: 105, quietWindow: 5) == .ready)
    }

    @Test func aChangedFileWaitsAgain() {
        #expect(SettleDecision.decide(arrival: .writtenInPlace, modified: 100, unchangedSinceLastLook: false, now: 200, quietWindow: 5)
            == .recheck(at: 205))
        #expect(SettleDecision.decide(arrival: .movedIn, modified: 100, unchangedSinceLastLook: false, now: 200, quietWindow: 5)
            == .recheck(at: 205))
    }

    @Test func oldFilesFoundByScanAreReady() {
        #expect(SettleDecision.decide(arrival: .foundByScan, modified: 10, unchangedSinceLastLook: true, now: 1000, quietWindow: 5) == .ready)
    }

    @Test func aFutureMtimeDoesNotWaitForever() {
        // A NAS clock an hour ahead: wait one window, not an hour.
        #expect(SettleDecision.decide(arrival: .writtenInPlace, modified: 4600, unchangedSinceLastLook: true, now: 1000, quietWindow: 5)
            == .recheck(at: 1005))
    }

    @Test func zeroWindowIsImmediate() {
        #expect(SettleDecision.decide(arrival: .writtenInPlace, modified: 100, unchangedSinceLastLook: true, now: 100, quietWindow: 0) == .ready)
    }
}
