import Foundation

/// A small, fast, reproducible random number generator (SplitMix64) for tests that pick random
/// timings: the seed is printed, and `UPSCALED_TEST_SEED=<seed>` replays the same choices.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var state: UInt64

    /// A seed from `UPSCALED_TEST_SEED`, else a random one; printed with `label` either way.
    public init(label: String) {
        var system = SystemRandomNumberGenerator()
        let fromEnvironment = ProcessInfo.processInfo.environment["UPSCALED_TEST_SEED"].flatMap { UInt64($0) }
        self.init(seed: fromEnvironment ?? system.next())
        print("\(label): random seed \(seed) (replay with UPSCALED_TEST_SEED=\(seed))")
    }

    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
