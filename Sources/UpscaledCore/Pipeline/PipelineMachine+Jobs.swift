import SystemPackage

/// Workers and the end of jobs.
extension PipelineMachine {
    /// What a free worker gets.
    public enum WorkerAnswer: Sendable {
        case job(PipelineJob<Claim>)
        /// Nothing to do (or paused): wait; a later `.dispatch` action hands it a job.
        case wait
        /// Stopping: the worker ends.
        case end
    }

    /// A worker is free.
    public mutating func workerWantsJob() -> (WorkerAnswer, [PipelineAction<Claim>]) {
        if stopping { return (.end, []) }
        if !pauses.isPaused, let job = takeReady() { return (.job(job), [.publish]) }
        waitingWorkers += 1
        return (.wait, [])
    }

    /// `path` settled: to a waiting worker at once, or into the FIFO.
    mutating func enqueue(_ path: FilePath) -> [PipelineAction<Claim>] {
        guard var file = files[path] else { return [] }
        if !pauses.isPaused, waitingWorkers > 0 {
            waitingWorkers -= 1
            return [.dispatch(start(path, &file)), .publish]
        }
        file.phase = .ready
        store(path, file)
        ready.append(path)
        return [.publish]
    }

    /// The oldest ready file, now in flight (the FIFO is compacted now and then).
    mutating func takeReady() -> PipelineJob<Claim>? {
        while readyHead < ready.count {
            let next = ready[readyHead]
            readyHead += 1
            if readyHead > 1024 && readyHead * 2 > ready.count {
                ready.removeFirst(readyHead)
                readyHead = 0
            }
            if var file = files[next], file.phase == .ready { return start(next, &file) }
        }
        return nil
    }

    private mutating func start(_ path: FilePath, _ file: inout TrackedFile<Claim>) -> PipelineJob<Claim> {
        let job = PipelineJob(path: path, claim: file.recovered,
                              incompleteHistory: file.writtenInPlace ? file.decodeHistory ?? .noFailures : nil)
        file.recovered = nil
        file.phase = .inFlight(revisit: false)
        store(path, file)
        return job
    }

    /// Ready files go to the workers waiting for one (after a resume).
    mutating func dispatchToWaitingWorkers() -> [PipelineAction<Claim>] {
        var actions: [PipelineAction<Claim>] = []
        while waitingWorkers > 0, !pauses.isPaused, let job = takeReady() {
            waitingWorkers -= 1
            actions.append(.dispatch(job))
        }
        return actions
    }

    /// The job of `path` ended with `outcome`.
    public mutating func jobEnded(_ path: FilePath, outcome: JobOutcome, now: Double) -> [PipelineAction<Claim>] {
        guard var file = files[path], case .inFlight(var revisit) = file.phase else { return [] }
        var actions: [PipelineAction<Claim>] = []
        var filed = true                                   // the file left the inbox (or is gone)
        switch outcome {
        case .done: counters.done += 1
        case .failed(_, let reason): counters.failed += 1; counters.lastError = reason
        case .quarantined: counters.quarantined += 1
        case .vanished: break
        case .deferred(let reason):
            counters.lastError = reason
            filed = false
            if retriesDeferred {
                file.retryAfter = now + Self.retryDelay
                revisit = true
            }
        case .stalled(let reason):
            counters.lastError = reason
            filed = false
            actions += pausing(.disk, reason: reason)
            revisit = true
        case .retrySoon(let reason, let history):
            counters.lastError = reason
            filed = false
            file.decodeHistory = history
            file.retryAfter = now + Self.decodeRetryDelay
            revisit = true
        case .paused(let reason):
            filed = false
            actions += pausing(.engine, reason: reason)
            revisit = true                             // back in the inbox; taken again after the resume
        }
        if filed {
            file.decodeHistory = nil
            file.writtenInPlace = false
        }
        guard revisit, !stopping else {
            store(path, nil)
            return actions + [.publish]
        }
        // Looked at again: a new file under the same name, or this one after its delay.
        file.phase = .looking(arrival: .foundByScan, previous: nil)
        store(path, file)
        return actions + [.publish, .look(path)]
    }

    /// Stop taking new work: waiting workers end, timers and probes stop. Files not yet claimed
    /// stay in the inbox; jobs in flight finish.
    public mutating func stop() -> [PipelineAction<Claim>] {
        stopping = true
        var actions: [PipelineAction<Claim>] = PauseState.Cause.allCases.filter { pauses.reasons[$0] != nil }
            .map { .stopProbe($0) }
        for (path, file) in files {
            switch file.phase {
            case .settling: actions.append(.cancelTimer(path)); store(path, nil)
            case .looking: store(path, nil)
            case .ready, .inFlight: break
            }
        }
        waitingWorkers = 0
        return actions + [.releaseWorkers, .publish]
    }
}
