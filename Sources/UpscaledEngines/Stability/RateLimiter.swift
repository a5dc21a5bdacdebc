/// Keeps every request on one key under the API's limit (150 per 10 s) by its own, lower,
/// ceiling, and holds everything back for the lock-out after a 429. Requests wait their turn
/// here instead of being refused by the server.
public actor RateLimiter {
    private let limit: Int
    private let window: Duration
    private var sent: [ContinuousClock.Instant] = []
    private var lockedUntil: ContinuousClock.Instant?
    public private(set) var lockouts = 0

    public init(limit: Int, window: Duration = .seconds(10)) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Waits until a request may be sent, then counts it.
    public func acquire() async throws {
        while true {
            try Task.checkCancellation()
            let now = ContinuousClock.now
            if let until = lockedUntil, now < until {
                try await Task.sleep(until: until)
                continue
            }
            sent.removeAll { now - $0 >= window }
            if sent.count < limit {
                sent.append(now)
                return
            }
            try await Task.sleep(until: sent[0] + window)
        }
    }

    /// After a 429: nothing is sent on this key for `duration`.
    public func lockOut(for duration: Duration) {
        let until = ContinuousClock.now + duration
        if lockedUntil.map({ $0 < until }) ?? true { lockedUntil = until }
        lockouts += 1
    }

    /// Seconds until the lock-out ends, if one is in force.
    public var lockedFor: Duration? {
        guard let lockedUntil else { return nil }
        let left = lockedUntil - ContinuousClock.now
        return left > .zero ? left : nil
    }
}
