import UpscaledCore
import SystemPackage
import UpscaledLinux

/// What can be seen of the other hosts on a shared root, from their folders alone: the
/// observations `HostLease` judges (for the take-over) and `upscaled status` shows.
extension FolderLayout {
    /// One look at every other host's folder. Blocking: several stats per host, and a lock
    /// request for each host that holds work (on NFS a round trip to the lock manager).
    public func observePeers() -> [HostLease.Peer] {
        otherHostIDs().map { id in
            let other = ofHost(id)
            let holdsWork = [other.journal, other.claims, other.taken].contains { !Self.holdsNothing($0) }
            let signs = [other.heartbeat, other.hostLock, other.journal, other.claims, other.taken]
                .compactMap { try? FileOperations.statusIfPresent($0)?.modified }
            // Only a host holding work is worth a lock request.
            var lockHeld = false
            if holdsWork {
                do { lockHeld = try HostLock.probe(other.hostLock) == nil } catch {}   // absent or unlockable: no proof
            }
            return HostLease.Peer(id: id, lastSign: signs.max(), holdsWork: holdsWork, lockHeld: lockHeld,
                                  heartbeat: other.heartbeatContent())
        }
    }

    /// What this host's heartbeat file says (it changes at every beat), nil if unreadable.
    public func heartbeatContent() -> String? {
        (try? FileOperations.readAll(heartbeat, limit: 4096)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether this host's own journal, claims or taken-over folders hold anything (a claim
    /// kept for the next start counts: no one may take it while we live). Blocking.
    public func holdsWork() -> Bool {
        [journal, claims, taken].contains { !Self.holdsNothing($0) }
    }

    /// The claims in this host's claims folder (hidden scratch files not counted).
    public func claimCount() -> Int { Self.visibleEntries(claims).count }

    /// Absent, or only hidden scratch files in it.
    static func holdsNothing(_ directory: FilePath) -> Bool { visibleEntries(directory).isEmpty }

    /// A state folder's entries but hidden scratch files (temps); none when it is absent or unreadable.
    static func visibleEntries(_ directory: FilePath) -> [FileOperations.Entry] {
        ((try? FileOperations.listDirectory(directory)) ?? []).filter { !$0.name.string.hasPrefix(".") }
    }
}
