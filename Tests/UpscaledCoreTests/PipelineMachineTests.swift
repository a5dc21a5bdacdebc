import SystemPackage
import Testing
import UpscaledCore

/// The life of one file, event by event, with the clock in the test's hand: each of these runs
/// in microseconds (the same lives through the real binary take seconds in the integration tests).
@Suite struct PipelineMachineTests {
    typealias Machine = PipelineMachine<String>
    let a = FilePath("a.png")
    let b = FilePath("b.png")
    let now = 1_000_000.0

    func file(size: Int64 = 100, modified: Double) -> FileLook { FileLook(kind: .regular, size: size, modified: modified) }

    func job(_ path: FilePath, claim: String? = nil, history: IncompleteFilePolicy.History? = nil) -> PipelineJob<String> {
        PipelineJob(path: path, claim: claim, incompleteHistory: history)
    }

    /// A machine with `count` workers already waiting for a job.
    func machine(quietWindow: Double = 3, workers count: Int = 1, retriesDeferred: Bool = true) -> Machine {
        var machine = Machine(quietWindow: quietWindow, retriesDeferred: retriesDeferred)
        for _ in 0..<count {
            let (answer, _) = machine.workerWantsJob()
            guard case .wait = answer else { Issue.record("a worker got work from an empty pipeline"); break }
        }
        return machine
    }

    @Test func aFileMovedInGoesStraightToAWaitingWorker() {
        var m = machine()
        #expect(m.observed(a, arrival: .movedIn) == [.look(a)])
        #expect(m.phase(of: a) == .looking(arrival: .movedIn, previous: nil))
        // Moved in is complete by definition, even with an mtime of just now.
        #expect(m.looked(a, file(modified: now), now: now) == [.dispatch(job(a)), .publish])
        #expect(m.phase(of: a) == .inFlight(revisit: false))
        #expect(m.published.inFlight == 1 && m.published.queued == 0)
        #expect(m.jobEnded(a, outcome: .done(output: FilePath("/out/a.png")), now: now) == [.publish])
        #expect(m.phase(of: a) == nil && m.isIdle && m.published.done == 1)
    }

    @Test func aFileWrittenInPlaceWaitsOutTheQuietWindowThenTakesItsHistoryAlong() {
        var m = machine(quietWindow: 3)
        _ = m.observed(a, arrival: .writtenInPlace)
        // Written a second ago: look again when the window since its mtime is over.
        #expect(m.looked(a, file(modified: now - 1), now: now) == [.startTimer(a, timer: 1, at: now + 2), .publish])
        #expect(m.published.queued == 1)
        #expect(m.timerFired(a, timer: 1) == [.look(a)])
        #expect(m.looked(a, file(modified: now - 1), now: now + 2) == [.dispatch(job(a, history: IncompleteFilePolicy.History.noFailures)), .publish])
    }

    @Test func aFileThatChangedBetweenLooksGetsAWholeWindowFromNow() {
        var n = machine(quietWindow: 3, workers: 0)
        _ = n.observed(b, arrival: .writtenInPlace)
        #expect(n.looked(b, file(size: 10, modified: now - 1), now: now) == [.startTimer(b, timer: 1, at: now + 2), .publish])
        #expect(n.timerFired(b, timer: 1) == [.look(b)])
        // It grew in the meantime: someone is still writing.
        #expect(n.looked(b, file(size: 20, modified: now + 1.5), now: now + 2) == [.startTimer(b, timer: 2, at: now + 5), .publish])
    }

    @Test func eventsForOnePathMergeWhateverPhaseItIsIn() {
        var m = machine(workers: 0)
        #expect(m.observed(a, arrival: .writtenInPlace) == [.look(a)])
        #expect(m.observed(a, arrival: .movedIn) == [])                                     // a look is under way
        #expect(m.phase(of: a) == .looking(arrival: .movedIn, previous: nil))               // the stronger arrival kept
        _ = m.looked(a, file(modified: now), now: now)
        #expect(m.phase(of: a) == .ready)
        #expect(m.observed(a, arrival: .writtenInPlace) == [])                              // queued once
        #expect(m.published.queued == 1)
    }

    @Test func anEventForASettlingFileLooksAtOnceAndItsOldTimerDoesNothing() {
        var m = machine(workers: 0)
        _ = m.observed(a, arrival: .writtenInPlace)
        _ = m.looked(a, file(modified: now), now: now)
        #expect(m.observed(a, arrival: .movedIn) == [.cancelTimer(a), .look(a)])
        #expect(m.timerFired(a, timer: 1) == [])                                            // cancelled, raced anyway
        #expect(m.phase(of: a) == .looking(arrival: .movedIn, previous: file(modified: now)))
    }

    @Test func aFileGoneBeforeItSettledIsForgottenWithAllItsMemory() {
        var m = machine(workers: 0)
        _ = m.observed(a, arrival: .writtenInPlace)
        #expect(m.looked(a, nil, now: now) == [.publish])
        #expect(m.phase(of: a) == nil && m.isIdle)
        _ = m.observed(b, arrival: .foundByScan)
        _ = m.looked(b, FileLook(kind: .directory, size: 0, modified: now), now: now)
        #expect(m.phase(of: b) == nil)
    }

    @Test func symlinksAndFifosAreJudgedWithoutWaiting() {
        var m = machine(quietWindow: 60)
        _ = m.observed(a, arrival: .writtenInPlace)
        #expect(m.looked(a, FileLook(kind: .other, size: 0, modified: now), now: now) == [.dispatch(job(a, history: .noFailures)), .publish])
    }

    @Test func anEventDuringAJobIsLookedAtWhenItEnds() {
        var m = machine()
        _ = m.observed(a, arrival: .movedIn)
        _ = m.looked(a, file(modified: now), now: now)
        #expect(m.observed(a, arrival: .movedIn) == [])
        #expect(m.jobEnded(a, outcome: .done(output: FilePath("/o")), now: now) == [.publish, .look(a)])
        #expect(m.phase(of: a) == .looking(arrival: .foundByScan, previous: nil))
    }

    @Test func aDeferredFileWaitsThirtySecondsButNotInOnceMode() {
        var m = machine()
        _ = m.observed(a, arrival: .movedIn)
        _ = m.looked(a, file(modified: now - 100), now: now)
        #expect(m.jobEnded(a, outcome: .deferred(reason: "no space in /tmp"), now: now) == [.publish, .look(a)])
        #expect(m.published.lastError == "no space in /tmp")
        #expect(m.looked(a, file(modified: now - 100), now: now + 1)
                == [.startTimer(a, timer: 1, at: now + Machine.retryDelay), .publish])
        _ = m.timerFired(a, timer: 1)
        _ = m.workerWantsJob()
        #expect(m.looked(a, file(modified: now - 100), now: now + Machine.retryDelay) == [.dispatch(job(a, history: .noFailures)), .publish])

        var once = machine(retriesDeferred: false)
        _ = once.observed(a, arrival: .movedIn)
        _ = once.looked(a, file(modified: now), now: now)
        #expect(once.jobEnded(a, outcome: .deferred(reason: "later"), now: now) == [.publish])
        #expect(once.isIdle)                                                                // left for the next run
    }

    /// A file put back because it did not decode comes back by rename: still "written in place".
    @Test func aRetriedDecodeKeepsItsHistoryThroughOurOwnPutBack() {
        var m = machine()
        _ = m.observed(a, arrival: .writtenInPlace)
        _ = m.looked(a, file(modified: now - 10), now: now)
        let seen = IncompleteFilePolicy.History(failures: 1, unchangedFailures: 0, lastSize: 100, lastModified: now - 10)
        #expect(m.jobEnded(a, outcome: .retrySoon(reason: "truncated", history: seen), now: now) == [.publish, .look(a)])
        _ = m.observed(a, arrival: .movedIn)                                                // the put-back's IN_MOVED_TO
        #expect(m.looked(a, file(modified: now - 10), now: now + 0.1)
                == [.startTimer(a, timer: 1, at: now + Machine.decodeRetryDelay), .publish])
        _ = m.timerFired(a, timer: 1)
        _ = m.workerWantsJob()
        #expect(m.looked(a, file(modified: now - 10), now: now + 3) == [.dispatch(job(a, history: seen)), .publish])
        // Filed at last: the memory goes with it.
        _ = m.jobEnded(a, outcome: .failed(code: .undecodable, reason: "a.png: not an image"), now: now + 4)
        #expect(m.phase(of: a) == nil && m.published.failed == 1 && m.published.lastError == "a.png: not an image")
    }

    @Test func readyFilesGoOutOldestFirst() {
        var m = machine(workers: 0)
        for path in [b, a] {
            _ = m.observed(path, arrival: .movedIn)
            _ = m.looked(path, file(modified: now), now: now)
        }
        #expect(m.published.queued == 2)
        guard case (.job(let first), [.publish]) = m.workerWantsJob(), case (.job(let second), _) = m.workerWantsJob() else {
            Issue.record("two ready files, no job"); return
        }
        #expect(first.path == b && second.path == a)
        guard case (.wait, []) = m.workerWantsJob() else { Issue.record("a third job from nowhere"); return }
    }

    @Test func aRecoveredClaimReachesItsWorker() {
        var m = machine()
        #expect(m.recovered(a, claim: "job-1") == [.dispatch(job(a, claim: "job-1")), .publish])
    }

    @Test func aPauseHoldsJobsAndItsOwnProbeHandsThemOut() {
        var m = machine()
        #expect(m.pause(.engine, reason: "key rejected") == [.announce(.paused("key rejected")), .startProbe(.engine), .publish])
        _ = m.observed(a, arrival: .movedIn)
        #expect(m.looked(a, file(modified: now), now: now) == [.publish])                  // queued, not dispatched
        #expect(m.published.paused == "key rejected" && m.published.note == "paused: key rejected" && !m.isIdle)
        #expect(m.probePassed(.engine, note: "credits: 12") == [.stopProbe(.engine), .dispatch(job(a)),
                                                               .announce(.resumed(note: "credits: 12")), .publish])
        #expect(m.published.note == "credits: 12" && m.published.paused == nil)
    }

    /// Issue 10, defect 1, at the heart: a reload whose engine check passes never lifts a full disk.
    @Test func aStalledJobPausesForTheDiskAndAReloadDoesNotLiftIt() {
        var m = machine()
        _ = m.observed(a, arrival: .movedIn)
        _ = m.looked(a, file(modified: now), now: now)
        #expect(m.jobEnded(a, outcome: .stalled(reason: "no space left on device"), now: now)
                == [.announce(.paused("no space left on device")), .startProbe(.disk), .publish, .look(a)])
        _ = m.looked(a, file(modified: now - 10), now: now + 1)
        #expect(m.engineWorksOnReload(note: "ok") == [])
        #expect(m.phase(of: a) == .ready && m.published.paused == "no space left on device")
        guard case (.wait, _) = m.workerWantsJob() else { Issue.record("a job while the disk is full"); return }
        // Put back by us, so looked at as found by a scan: it may be incomplete, like any such file.
        #expect(m.probePassed(.disk, note: nil).contains(.dispatch(job(a, history: .noFailures))))
    }

    @Test func aReloadThatStillFailsRestartsTheEngineProbe() {
        var m = machine()
        _ = m.pause(.engine, reason: "key rejected")
        #expect(m.engineFailsOnReload(reason: "key still rejected") == [.publish, .startProbe(.engine)])
        #expect(m.probeFailed(.engine, reason: "API unreachable") == [.publish])
        #expect(m.published.note == "paused: API unreachable")
        #expect(m.probePassed(.disk, note: nil) == [])                                   // never the cause
        #expect(m.published.paused == "API unreachable")
    }

    @Test func stopEndsWaitingWorkersTimersAndProbesButLeavesJobsInFlight() {
        var m = machine(workers: 2)
        _ = m.observed(a, arrival: .movedIn)
        _ = m.looked(a, file(modified: now), now: now)                                     // in flight
        _ = m.observed(b, arrival: .writtenInPlace)
        _ = m.looked(b, file(modified: now), now: now)                                     // settling
        _ = m.pause(.disk, reason: "read-only")
        #expect(m.stop() == [.stopProbe(.disk), .cancelTimer(b), .releaseWorkers, .publish])
        #expect(m.phase(of: b) == nil && m.phase(of: a) == .inFlight(revisit: false))
        guard case (.end, []) = m.workerWantsJob() else { Issue.record("a worker kept working after stop"); return }
        #expect(m.observed(b, arrival: .movedIn) == [] && m.pause(.engine, reason: "late") == [])
        #expect(m.jobEnded(a, outcome: .done(output: FilePath("/o")), now: now) == [.publish])
        #expect(m.published.inFlight == 0)
    }
}
