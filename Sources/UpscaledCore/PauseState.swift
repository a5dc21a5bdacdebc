/// Why the pipeline hands out no jobs, kept per cause, each lifted only by its own probe.
///
/// Two things can stop work while files wait: the place (a full or read-only disk: a test write
/// must succeed again) and the engine (a rejected key, an unreachable API: the engine's own
/// check must pass). They are independent, so a passing engine check (on reload, say) never
/// lifts a disk pause, and a writable disk never lifts a key pause: work resumes only when
/// every cause has been lifted by its own probe. Pure: the pipeline executes the effects.
public struct PauseState: Sendable, Equatable {
    /// What stopped work; its order is the order in which the status shows them.
    public enum Cause: String, Sendable, Hashable, CaseIterable {
        /// The outbox or the journal cannot be written (ENOSPC, EROFS, EACCES).
        case disk
        /// The engine cannot work (a rejected key, the API unreachable at start).
        case engine
    }

    public enum Effect: Sendable, Equatable {
        /// Start checking this cause (with its own probe and backoff).
        case startProbe(Cause)
        /// Stop checking this cause.
        case stopProbe(Cause)
        /// No cause is left: hand out jobs again.
        case resumeWork
    }

    public private(set) var reasons: [Cause: String] = [:]

    public init() {}

    public var isPaused: Bool { !reasons.isEmpty }

    /// The reason shown in the status: the first cause in `Cause` order.
    public var reason: String? { Cause.allCases.lazy.compactMap { reasons[$0] }.first }

    /// `cause` stops work for `reason`: a new cause starts its probe; a known one only updates
    /// the reason (its probe keeps its backoff).
    public mutating func pause(_ cause: Cause, reason: String) -> [Effect] {
        let isNew = reasons[cause] == nil
        reasons[cause] = reason
        return isNew ? [.startProbe(cause)] : []
    }

    /// The probe of `cause` failed again with `reason`: shown, if the cause is still active.
    public mutating func stillFailing(_ cause: Cause, reason: String) {
        if reasons[cause] != nil { reasons[cause] = reason }
    }

    /// `cause`'s own probe passed: that cause, and only it, is lifted.
    public mutating func lift(_ cause: Cause) -> [Effect] {
        guard reasons.removeValue(forKey: cause) != nil else { return [] }
        return [.stopProbe(cause)] + (reasons.isEmpty ? [.resumeWork] : [])
    }
}
