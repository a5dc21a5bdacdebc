import Testing
import UpscaledCore

@Suite struct PauseStateTests {
    @Test func aCauseStartsItsProbeOnceAndItsOwnLiftResumes() {
        var state = PauseState()
        #expect(!state.isPaused)
        #expect(state.pause(.engine, reason: "key rejected") == [.startProbe(.engine)])
        #expect(state.pause(.engine, reason: "key rejected again") == [])      // its probe keeps its backoff
        #expect(state.reason == "key rejected again")
        #expect(state.lift(.engine) == [.stopProbe(.engine), .resumeWork])
        #expect(!state.isPaused && state.reason == nil)
    }

    /// Issue 10, defect 1: a passing engine check (a reload) must not lift a full disk.
    @Test func anEngineCheckNeverLiftsADiskPause() {
        var state = PauseState()
        _ = state.pause(.disk, reason: "no space left on the outbox's disk")
        #expect(state.lift(.engine) == [])                                       // the engine was never the cause
        #expect(state.isPaused && state.reason == "no space left on the outbox's disk")
        #expect(state.lift(.disk) == [.stopProbe(.disk), .resumeWork])
    }

    @Test func bothCausesMustBeLiftedEachByItsOwnProbe() {
        var state = PauseState()
        #expect(state.pause(.engine, reason: "key rejected") == [.startProbe(.engine)])
        #expect(state.pause(.disk, reason: "read-only") == [.startProbe(.disk)])
        #expect(state.reason == "read-only")                                     // the disk is shown first
        #expect(state.lift(.disk) == [.stopProbe(.disk)])                        // still paused: the key
        #expect(state.isPaused && state.reason == "key rejected")
        #expect(state.lift(.disk) == [])                                         // lifting twice does nothing
        #expect(state.lift(.engine) == [.stopProbe(.engine), .resumeWork])
    }

    @Test func aFailingProbeUpdatesOnlyAnActiveCause() {
        var state = PauseState()
        state.stillFailing(.engine, reason: "late answer from a cancelled probe")
        #expect(!state.isPaused)
        _ = state.pause(.engine, reason: "key rejected")
        state.stillFailing(.engine, reason: "API unreachable")
        #expect(state.reason == "API unreachable")
    }
}
