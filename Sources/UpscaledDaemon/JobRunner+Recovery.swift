import Foundation
import Logging
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// Start-up replay of the journal: every job a crash interrupted is finished or rolled back,
/// idempotently (replaying twice does no harm). What happens in each state is tabled in
/// docs/ARCHITECTURE.md.
extension JobRunner {
    public struct RecoveryReport: Sendable {
        public var putBack = 0
        public var finished = 0
        public var discarded = 0
        /// Records and claims taken over from the old shared journal (before per-host state).
        public var adopted = 0
        /// Dead hosts whose folders were taken over and replayed.
        public var takenOver: [String] = []
        public var problems: [String] = []
        /// Claimed jobs whose asynchronous generation can still be polled: handed to the pipeline.
        var resumable: [Claim] = []
    }

    /// One host's journal and claims folder, replayed by the same rules: ours at start, or a
    /// dead host's folder taken over (`JobRunner+Takeover`).
    struct ReplayedState {
        /// Whose records these are: a record naming another host is left alone.
        var owner: String
        var journal: JobJournal
        var claims: FilePath
        var resumeGenerations: Bool
    }

    /// Replays every journal record, then what is left of dead hosts' folders taken over before
    /// a crash. Blocking: call before the pipeline starts.
    public func recover(resumeGenerations: Bool = false) -> RecoveryReport {
        var report = RecoveryReport()
        adoptLegacyState(report: &report)
        replay(ReplayedState(owner: layout.hostID, journal: journal, claims: layout.claims,
                             resumeGenerations: resumeGenerations), report: &report)
        replayTakenFolders(report: &report)
        sweepTemps(tag: layout.probeTag, in: [layout.outbox])
        return report
    }

    /// Nothing of the job was filed: its original goes back to the inbox and is processed again,
    /// unless the claim is only a second name of a file still named elsewhere; with no claim
    /// left, only the record goes.
    private func undo(_ claim: Claim, claimExists: Bool, in state: ReplayedState, report: inout RecoveryReport) throws {
        if claimExists && isSecondName(claim.path, relative: claim.relative, claims: state.claims) {
            try FileOperations.unlink(claim.path)
            try state.journal.remove(claim.record.id)
            report.discarded += 1
        } else if claimExists {
            try putBack(claim, journal: state.journal)
            report.putBack += 1
        } else {
            try state.journal.remove(claim.record.id)
            report.discarded += 1
        }
    }

    /// Whether a claim is a second name of a file still named elsewhere: where a claim is
    /// link+unlink (no RENAME_NOREPLACE: NFS, FUSE), a crash between the two leaves the original
    /// in the inbox beside our claim, and a host that claimed the same file at the same moment
    /// and won holds it in its own claims. Dropping our name then loses nothing; putting it back
    /// would make a second job. A user's own hard link elsewhere is not a name found here.
    func isSecondName(_ claim: FilePath, relative: FilePath, claims: FilePath) -> Bool {
        var ours = stat()
        guard claim.withPlatformString({ lstat($0, &ours) }) == 0, ours.st_nlink > 1 else { return false }
        func same(_ path: FilePath) -> Bool {
            var other = stat()
            return path.withPlatformString({ lstat($0, &other) }) == 0 && other.st_ino == ours.st_ino && other.st_dev == ours.st_dev
        }
        if same(layout.join(layout.inbox, relative)) { return true }
        let folders = ([layout.claims] + layout.otherHostIDs().map { layout.ofHost($0).claims }).filter { $0 != claims }
        return folders.contains { folder in
            ((try? FileOperations.listDirectory(folder)) ?? []).contains { same(folder.appending($0.name)) }
        }
    }

    /// Removes the hidden temps job `id` (for the inbox file `relative`) may have left beside
    /// its result or sidecar: in the outbox, failed and quarantine folders of its subfolder.
    func sweepJobTemps(_ id: String, relative: FilePath) {
        let parent = relative.removingLastComponent()
        sweepTemps(tag: id, in: [layout.outbox, layout.failed, layout.quarantine].map { layout.join($0, parent) })
    }

    /// Removes the hidden temps a crash left in `folders` (where the filesystem has no
    /// `O_TMPFILE`, a result or sidecar being written is a hidden file named with its job's id).
    func sweepTemps(tag: String, in folders: [FilePath]) {
        let prefix = Array(TempFile.hiddenPrefix(tag: tag).utf8)
        for folder in folders {
            for entry in (try? FileOperations.listDirectory(folder)) ?? [] where entry.name.bytes.starts(with: prefix) {
                try? FileOperations.removeIfPresent(folder.appending(entry.name))
            }
        }
    }

    func replay(_ state: ReplayedState, report: inout RecoveryReport) {
        let listing: (records: [JournalRecord], unreadable: [FilePath])
        do { listing = try state.journal.all() } catch {
            report.problems.append("cannot read the journal \(state.journal.directory.display): \(error)")
            return
        }
        for file in listing.unreadable {
            report.problems.append("unreadable journal record \(file.display) left in place")
        }
        for record in listing.records {
            do { try recover(record, in: state, report: &report) } catch {
                report.problems.append("job \(record.id) (\(record.relativePath)): \(error)")
            }
        }
        // Claims with no record (a crash between rename and... never: the record is written
        // first) would be invisible to the user: return any stray ones to the inbox too.
        if let entries = try? FileOperations.listDirectory(state.claims) {
            let known = Set(listing.records.map(\.claimName))
            for entry in entries where !known.contains(entry.name.string) && !entry.name.string.hasPrefix(".") {
                let source = state.claims.appending(entry.name)
                if let placed = try? place(source, in: layout.inbox, name: entry.name) {
                    report.putBack += 1
                    report.problems.append("a claimed file without a journal record was returned to the inbox as \(placed.display)")
                }
            }
        }
    }

    private func recover(_ record: JournalRecord, in state: ReplayedState, report: inout RecoveryReport) throws {
        guard let relative = FilePath(base64: record.relativePathBase64), let name = relative.lastComponent else {
            report.problems.append("job \(record.id): its path cannot be decoded; record left in place")
            return
        }
        if let host = record.host, host != state.owner {
            report.problems.append("job \(record.id) (\(record.relativePath)) in \(state.journal.directory.display) belongs to host \(host), not to \(state.owner); record left in place")
            return
        }
        if record.state == .reviewing {
            // A person's action from the page, interrupted: finished the same way it would have.
            if let step = record.review {
                try ReviewActions(layout: layout, journal: state.journal).finish(record, step: step)
            } else {
                try state.journal.remove(record.id)
            }
            report.finished += 1
            return
        }
        // Whatever it does next, a result or sidecar it was writing (a hidden temp) is junk now.
        sweepJobTemps(record.id, relative: relative)
        let journal = state.journal
        let claimPath = state.claims.appending(record.claimName)
        let claimExists = try adoptLegacyClaim(record, into: state.claims)
        let destination = record.destinationBase64.flatMap { FilePath(base64: $0) }.map { layout.root.appending($0.components) }
        let claim = Claim(record: record, relative: relative, path: claimPath,
                          status: .init(kind: .regular, size: 0, modified: 0, inode: 0, device: 0))

        switch record.state {
        case .claimed:
            // A creative generation already paid for and less than a day old: poll it again.
            if claimExists, state.resumeGenerations, record.generationID != nil, record.engine == engine.name,
               let created = ISO8601DateFormatter().date(from: record.createdAt), Date().timeIntervalSince(created) < 23 * 3600,
               let status = try FileOperations.statusIfPresent(claimPath) {
                report.resumable.append(Claim(record: record, relative: relative, path: claimPath, status: status))
                return
            }
            try undo(claim, claimExists: claimExists, in: state, report: &report)

        case .committingOutput:
            let ours: Bool
            if let destination, let status = try FileOperations.statusIfPresent(destination) {
                ours = record.outputInode == nil || status.inode == record.outputInode
            } else {
                ours = false
            }
            if ours {
                // The result made it: finish what was left, the disposal of the original, as the job
                // would have (archive, or delete with after_success = "delete").
                if claimExists {
                    if record.afterSuccess == .delete {
                        try FileOperations.removeIfPresent(claimPath)
                        try FileOperations.syncDirectory(state.claims)
                    } else {
                        _ = try place(claimPath, in: layout.join(layout.archive, relative.removingLastComponent()), name: name)
                    }
                }
                try journal.remove(record.id)
                report.finished += 1
            } else {
                try undo(claim, claimExists: claimExists, in: state, report: &report)
            }

        case .reviewing:
            break                                            // finished above
        case .filingFailure:
            if claimExists {
                // The sidecar is written before the move: only with it in place may the file follow.
                // Otherwise (or if the name is taken) the file goes back to be judged again.
                let sidecar = destination.map { path -> FilePath in
                    var directory = path
                    directory.removeLastComponent()
                    return directory.appending(OutputNaming.sidecar(for: path.lastComponent!))
                }
                let hasSidecar = try sidecar.map { try FileOperations.statusIfPresent($0) != nil } ?? false
                if let destination, hasSidecar, try FileOperations.renameNoReplace(claimPath, to: destination) {
                    var directory = destination
                    directory.removeLastComponent()
                    try FileOperations.syncDirectory(directory)
                    try journal.remove(record.id)
                    report.finished += 1
                } else {
                    if hasSidecar, let sidecar { try FileOperations.removeIfPresent(sidecar) }
                    try putBack(claim, journal: journal)
                    report.putBack += 1
                }
            } else {
                try journal.remove(record.id)
                report.finished += 1
            }
        }
    }
}
