import Testing
import UpscaledCore

@Suite struct IncompleteFilePolicyTests {
    let policy = IncompleteFilePolicy(unchangedRetries: 3, maximumRetries: 25)

    /// Feeds `looks` (size, mtime) failures in order; returns how many were retried before the judgement.
    func retriesBeforeJudgement(_ looks: [(Int64, Double)]) -> Int? {
        var history = IncompleteFilePolicy.History.noFailures
        for (index, look) in looks.enumerated() {
            switch policy.afterFailure(history, size: look.0, modified: look.1) {
            case .retry(let next): history = next
            case .judge: return index
            }
        }
        return nil
    }

    @Test func aFileThatNeverChangesIsJudgedAfterThreeMoreLooks() {
        let same = Array(repeating: (Int64(5000), 1_700_000_000.5), count: 10)
        #expect(retriesBeforeJudgement(same) == 3)
    }

    @Test func aFileThatGrowsBetweenLooksKeepsItsTime() {
        // Growing every other look: the unchanged run never reaches three.
        let growing: [(Int64, Double)] = (0..<20).map { look in
            let step = look / 2
            return (Int64(1000 + step * 100), 1_700_000_000 + Double(step))
        }
        #expect(retriesBeforeJudgement(growing) == nil)
        // Then it stops changing: three unchanged looks later it is judged.
        let stalled = growing + Array(repeating: growing.last!, count: 5)
        #expect(retriesBeforeJudgement(stalled) == 21)
    }

    @Test func aTouchWithoutGrowthCountsAsAChange() {
        // A new mtime alone (a writer rewriting the same bytes) is a change.
        let touched: [(Int64, Double)] = [(10, 1.0), (10, 1.0), (10, 1.0), (10, 2.0), (10, 2.0), (10, 2.0), (10, 2.0)]
        #expect(retriesBeforeJudgement(touched) == 6)
    }

    @Test func theCapHoldsForAFileRewrittenForever() {
        let always: [(Int64, Double)] = (0..<40).map { (Int64($0), Double($0)) }
        #expect(retriesBeforeJudgement(always) == 25)
    }

    @Test func theClockPlaysNoPart() {
        // mtimes far in the future or the past change nothing: only equality between looks counts.
        let future = Array(repeating: (Int64(7), 9_999_999_999.0), count: 6)
        let past = Array(repeating: (Int64(7), -5.0), count: 6)
        #expect(retriesBeforeJudgement(future) == 3)
        #expect(retriesBeforeJudgement(past) == 3)
    }
}
