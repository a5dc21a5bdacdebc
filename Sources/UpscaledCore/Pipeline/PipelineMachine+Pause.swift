/// Pausing and resuming: `PauseState` keeps one reason per cause, and only a cause's own probe
/// lifts it; here the machine turns that into actions and shows it in the counters.
extension PipelineMachine {
    /// `cause` cannot work (`reason`): no job is handed out until its probe passes.
    public mutating func pause(_ cause: PauseState.Cause, reason: String) -> [PipelineAction<Claim>] {
        stopping ? [] : pausing(cause, reason: reason) + [.publish]
    }

    /// `pause` without its `.publish` (for an event that publishes once at its end).
    mutating func pausing(_ cause: PauseState.Cause, reason: String) -> [PipelineAction<Claim>] {
        guard !stopping else { return [] }
        let effects = pauses.pause(cause, reason: reason)
        counters.note = "paused: \(pauses.reason ?? reason)"
        var actions: [PipelineAction<Claim>] = effects.isEmpty ? [] : [.announce(.paused(reason))]
        actions += effects.compactMap { effect in
            if case .startProbe(let cause) = effect { .startProbe(cause) } else { nil }
        }
        return actions
    }

    /// `cause`'s probe passed (`note`: what the engine says of itself now).
    public mutating func probePassed(_ cause: PauseState.Cause, note: String?) -> [PipelineAction<Claim>] {
        let effects = pauses.lift(cause)
        guard !effects.isEmpty else { return [] }                 // it was not a cause: nothing changes
        var actions: [PipelineAction<Claim>] = []
        for effect in effects {
            switch effect {
            case .startProbe(let cause): actions.append(.startProbe(cause))
            case .stopProbe(let cause): actions.append(.stopProbe(cause))
            case .resumeWork:
                counters.note = note
                actions += dispatchToWaitingWorkers()
                actions.append(.announce(.resumed(note: note)))
            }
        }
        if let still = pauses.reason {
            counters.note = "paused: \(still)"
            actions.append(.announce(.stillPaused(lifted: cause, still: still)))
        }
        return actions + [.publish]
    }

    /// `cause`'s probe failed again: the status shows the newest reason.
    public mutating func probeFailed(_ cause: PauseState.Cause, reason: String) -> [PipelineAction<Claim>] {
        pauses.stillFailing(cause, reason: reason)
        guard let shown = pauses.reason else { return [] }
        counters.note = "paused: \(shown)"
        return [.publish]
    }

    /// On reload the engine was checked at once and works: this lifts the engine's cause only;
    /// a full or read-only disk keeps its pause and its probe.
    public mutating func engineWorksOnReload(note: String?) -> [PipelineAction<Claim>] {
        if pauses.reasons[.engine] != nil { return probePassed(.engine, note: note) }
        return pauses.isPaused ? [] : setNote(note)
    }

    /// On reload the engine was checked at once and fails: paused for it, and a probe already
    /// running starts its backoff again (the user changed something).
    public mutating func engineFailsOnReload(reason: String) -> [PipelineAction<Claim>] {
        let wasPaused = pauses.reasons[.engine] != nil
        let actions = pause(.engine, reason: reason)
        return wasPaused && !stopping ? actions + [.startProbe(.engine)] : actions
    }
}
