/// When another host on a shared root counts as dead, so that its claims can be taken over.
///
/// Hosts' clocks disagree (a NAS and a laptop can be minutes apart), so no two hosts' clocks are
/// ever compared. Two signs must both say "dead":
/// - the file server's mtimes: "now" is the mtime of the judging host's own heartbeat, written
///   just before it judges; a peer's last sign of life is the newest mtime among its heartbeat,
///   lock, journal and claims folders, older than the lease;
/// - and what the judge itself watched: the peer's heartbeat content (it counts its beats) has
///   not changed for longer than the lease by the judge's own monotonic clock. This guards
///   against filesystems whose mtimes come from the writing client's clock (some SMB and FUSE
///   set-ups), where a live host with a slow clock would look silent; the price is that a judge
///   that has just started watches for one lease before it takes anyone over.
/// And only a peer that holds work can be dead (a host with no claims has nothing to take over,
/// which is why an idle host need not beat at all).
///
/// Pure: `HostPresence` gathers the observations and carries the plan out.
public struct HostLease: Sendable, Equatable {
    /// `host_lease_s`: silence longer than this means dead.
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    /// How often a host holding claims rewrites its heartbeat: a tenth of the lease, so a live
    /// host misses nine beats in a row before anyone may judge it dead, at most every 10 s and
    /// at least every second.
    public var beatInterval: Double { min(10, max(1, seconds / 10)) }

    /// What one look at another host's folder found.
    public struct Peer: Sendable, Equatable {
        public var id: String
        /// The newest server mtime among its heartbeat, lock, journal and claims; nil if none
        /// could be read.
        public var lastSign: Double?
        /// Its journal or claims folder is not empty.
        public var holdsWork: Bool
        /// Its lock is held by a live process (flock said so); false also when the filesystem's
        /// locks do not reach across machines (then only the lease can tell).
        public var lockHeld: Bool
        /// What its heartbeat file says (nil: none), for the judge to notice it changing.
        public var heartbeat: String?
        /// For how long (seconds, by the judge's own monotonic clock) the judge has seen that
        /// content unchanged: 0 at the first look. nil: not watched at all (`upscaled status`,
        /// which looks once), so the mtimes alone decide.
        public var unchangedFor: Double?

        public init(id: String, lastSign: Double?, holdsWork: Bool, lockHeld: Bool,
                    heartbeat: String? = nil, unchangedFor: Double? = nil) {
            self.id = id
            self.lastSign = lastSign
            self.holdsWork = holdsWork
            self.lockHeld = lockHeld
            self.heartbeat = heartbeat
            self.unchangedFor = unchangedFor
        }
    }

    public enum Verdict: Sendable, Equatable {
        /// It holds no work: nothing to watch.
        case nothingToTake
        /// Alive for now; judge it again in this many seconds (when its lease would run out).
        case alive(judgeAgainIn: Double)
        /// Silent for longer than the lease (seconds shown): take its work over.
        case dead(silentFor: Double)
    }

    public func verdict(_ peer: Peer, now: Double) -> Verdict {
        guard peer.holdsWork else { return .nothingToTake }
        // A held lock is proof of life wherever locks reach (one kernel, NFS's lock manager).
        if peer.lockHeld { return .alive(judgeAgainIn: seconds) }
        // No readable sign: judge again after a whole lease rather than guess.
        guard let last = peer.lastSign else { return .alive(judgeAgainIn: seconds) }
        let silence = now - last
        let watched = peer.unchangedFor ?? .infinity
        if silence > seconds && watched > seconds { return .dead(silentFor: silence) }
        // A sign from the future (a peer that set its mtimes by hand) counts as fresh.
        return .alive(judgeAgainIn: max(0, seconds - max(0, silence), seconds - watched))
    }

    /// What to do after one look at every other host.
    public struct Plan: Sendable, Equatable {
        /// Hosts to take over, in the order seen.
        public var takeOver: [String]
        /// When to look again, if some live host holds work (seconds); nil: nothing to watch.
        public var judgeAgainIn: Double?

        public init(takeOver: [String], judgeAgainIn: Double?) {
            self.takeOver = takeOver
            self.judgeAgainIn = judgeAgainIn
        }
    }

    public func plan(_ peers: [Peer], now: Double) -> Plan {
        var plan = Plan(takeOver: [], judgeAgainIn: nil)
        for peer in peers {
            switch verdict(peer, now: now) {
            case .nothingToTake: continue
            case .dead: plan.takeOver.append(peer.id)
            case .alive(let after):
                // Just past the expiry, so the next look finds it expired rather than nearly so.
                let next = after + 1
                plan.judgeAgainIn = min(plan.judgeAgainIn ?? next, next)
            }
        }
        return plan
    }
}
