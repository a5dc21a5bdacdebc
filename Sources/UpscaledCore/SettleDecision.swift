/// Decides when a file is complete enough to take. A file *moved* into the inbox is complete at
/// once (rename is atomic). A file *written in place* (or found by a scan) must stay unchanged
/// for a quiet window, because writers such as SMB clients and scanners close and re-open it.
public enum SettleDecision: Sendable, Equatable {
    case ready
    /// Look again at this wall-clock time (seconds since the epoch).
    case recheck(at: Double)

    /// How the file was noticed.
    public enum Arrival: Sendable, Equatable { case movedIn, writtenInPlace, foundByScan }

    /// - Parameters:
    ///   - arrival: how the file was noticed.
    ///   - modified: the file's mtime now (seconds since the epoch).
    ///   - unchangedSinceLastLook: size and mtime equal to the previous observation (true at the first look).
    ///   - now: the wall clock.
    ///   - quietWindow: seconds the file must be left alone.
    public static func decide(arrival: Arrival, modified: Double, unchangedSinceLastLook: Bool,
                              now: Double, quietWindow: Double) -> SettleDecision {
        if arrival == .movedIn && unchangedSinceLastLook { return .ready }
        if quietWindow <= 0 { return .ready }
        // Changed since we last looked: someone is still writing; a whole window from now.
        guard unchangedSinceLastLook else { return .recheck(at: now + quietWindow) }
        let quietSince = modified + quietWindow
        if now >= quietSince { return .ready }
        // Not quiet long enough yet: wait out the window, but never longer than one window
        // from now (a NAS clock running ahead would otherwise hold the file for hours).
        return .recheck(at: max(now + 0.001, min(quietSince, now + quietWindow)))
    }
}
