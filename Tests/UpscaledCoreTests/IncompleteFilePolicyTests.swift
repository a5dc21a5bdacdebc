import Testing
import UpscaledCore

@Suite struct IncompleteFilePolicyTests {
    let policy = IncompleteFilePolicy(minimumRetries: 3, graceSeconds: 60, maximumRetries: 25)

    @Test func theFirstFailuresAreAlwaysRetriedEvenForAnOldFile() {
        for failures in 0..<3 { #expect(policy.retries(afterFailures: failures, modifiedSecondsAgo: 3600)) }
        #expect(!policy.retries(afterFailures: 3, modifiedSecondsAgo: 3600))
    }

    @Test func aRecentlyChangedFileKeepsBeingRetriedWithinTheGrace() {
        #expect(policy.retries(afterFailures: 10, modifiedSecondsAgo: 12))
        #expect(policy.retries(afterFailures: 24, modifiedSecondsAgo: 59.9))
        #expect(!policy.retries(afterFailures: 10, modifiedSecondsAgo: 60))
    }

    @Test func theCapHoldsEvenWhenTheMtimeLooksFresh() {
        #expect(policy.retries(afterFailures: 24, modifiedSecondsAgo: -300))   // a clock running ahead
        #expect(!policy.retries(afterFailures: 25, modifiedSecondsAgo: -300))
        #expect(!policy.retries(afterFailures: 25, modifiedSecondsAgo: 1))
    }
}
