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
        let quietSince = modified + quietWindow
        if unchangedSinceLastLook && now >= quietSince { return .ready }
        // Changed since we last looked, or not quiet long enough yet: wait out the window from
        // the later of now and the last modification (clocks on a NAS may run ahead).
        return .recheck(at: max(now + 0.001, min(quietSince, now + quietWindow)))
    }
}
