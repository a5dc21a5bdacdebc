import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Taking over a dead host's work on a shared root. The take-over is itself a claim: the dead
/// host's whole folder is renamed into ours (`hosts/<us>/taken/<dead>.<stamp>`), one rename
/// whose source exists once, so of two survivors exactly one gets it. Its journal is then
/// replayed by the rules of our own crash recovery, and the emptied folder removed. A crash of
/// ours in the middle leaves the folder in `taken/`, replayed at our next start, or by whoever
/// takes us over in turn (a taken folder may hold taken folders).
extension JobRunner {
    /// One look at every other host's folder, for `HostLease`. Blocking.
    func observePeers() -> [HostLease.Peer] { layout.observePeers() }

    /// Takes `id`'s folder over and replays it, if it is still there, its lock still free and,
    /// when `heartbeat` is given, its heartbeat file still says what it said when it was judged
    /// (`.some(nil)`: still none): a beat since the judgement means it lives. Blocking.
    func takeOver(_ id: String, heartbeat: String?? = .none, report: inout RecoveryReport) {
        let other = layout.ofHost(id)
        let folder = layout.hosts.appending(id)
        // Held across the move where locks reach: the dead host restarting now waits for it.
        var lock: HostLock?
        do {
            guard let free = try HostLock.probe(other.hostLock) else { return }   // held: it came back meanwhile
            lock = free
        } catch {}                           // no lock file, or no locks on this filesystem: the lease decides
        if case .some(let expected) = heartbeat, other.heartbeatContent() != expected { return }
        let stamp = "\(Int(Date().timeIntervalSince1970 * 1000))-\(String(UInt32.random(in: .min ... .max), radix: 36))"
        let target = layout.taken.appending("\(id).\(stamp)")
        do {
            try FileOperations.makeDirectories(layout.taken, mode: 0o700)
            defer { lock?.release() }                   // the dead host restarting locks a new file, in a new folder
            guard try FileOperations.moveDirectory(folder, toNew: target) else { return }   // another survivor was first
            try FileOperations.syncDirectory(layout.hosts)
            try FileOperations.syncDirectory(layout.taken)
        } catch {
            report.problems.append("could not take over host \(id)'s folder \(folder.display): \(error)")
            return
        }
        replayTaken(target, report: &report)
    }

    /// Replays and removes every folder in our `taken/`: left there by a crash during a take-over.
    func replayTakenFolders(report: inout RecoveryReport) {
        for entry in FolderLayout.visibleEntries(layout.taken) {
            replayTaken(layout.taken.appending(entry.name), report: &report)
        }
    }

    /// Replays one taken folder (`<host>.<stamp>`) and what it had taken itself, then removes it.
    private func replayTaken(_ folder: FilePath, report: inout RecoveryReport) {
        let nested = folder.appending("taken")
        for entry in FolderLayout.visibleEntries(nested) {
            replayTaken(nested.appending(entry.name), report: &report)
        }
        let name = folder.lastComponent?.string ?? ""
        let owner = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
        report.takenOver.append(owner)
        replay(ReplayedState(owner: owner, journal: JobJournal(directory: folder.appending("journal")),
                             claims: folder.appending("claims"), resumeGenerations: false), report: &report)
        // What is left is no one's work: its heartbeat, status, lock, its job history and
        // unspent login codes (the page of a dead host is gone with it), then the emptied folders.
        for file in ["heartbeat", "status.json", "lock", "history.jsonl", "history.1.jsonl"] {
            try? FileOperations.removeIfPresent(folder.appending(file))
        }
        let logins = folder.appending("web-logins")
        for entry in (try? FileOperations.listDirectory(logins)) ?? [] { try? FileOperations.removeIfPresent(logins.appending(entry.name)) }
        _ = rmdir(logins.string)
        for directory in [folder.appending("journal"), folder.appending("claims"), nested, folder] {
            if rmdir(directory.string) != 0 && errno != ENOENT {
                report.problems.append("the taken-over folder \(folder.display) still holds files (\(directory.display)); "
                                       + "it is replayed again at the next start")
                return
            }
        }
    }

    /// Whether this host's own journal, claims or taken folders hold anything. Blocking.
    func holdsWork() -> Bool { layout.holdsWork() }
}
