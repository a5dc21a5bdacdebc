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
        public var problems: [String] = []
        /// Claimed jobs whose asynchronous generation can still be polled: handed to the pipeline.
        var resumable: [Claim] = []
    }

    /// Replays every journal record. Blocking: call before the pipeline starts.
    public func recover(resumeGenerations: Bool = false) -> RecoveryReport {
        var report = RecoveryReport()
        adoptLegacyState(report: &report)
        let listing: (records: [JournalRecord], unreadable: [FilePath])
        do { listing = try journal.all() } catch {
            report.problems.append("cannot read the journal: \(error)")
            return report
        }
        for file in listing.unreadable {
            report.problems.append("unreadable journal record \(file.display) left in place")
        }
        for record in listing.records {
            do { try recover(record, report: &report, resumeGenerations: resumeGenerations) } catch {
                report.problems.append("job \(record.id) (\(record.relativePath)): \(error)")
            }
        }
        // Claims with no record (a crash between rename and... never: the record is written
        // first) would be invisible to the user: return any stray ones to the inbox too.
        if let entries = try? FileOperations.listDirectory(layout.claims) {
            let known = Set(listing.records.map(\.claimName))
            for entry in entries where !known.contains(entry.name.string) && !entry.name.string.hasPrefix(".") {
                let source = layout.claims.appending(entry.name)
                if let placed = try? place(source, in: layout.inbox, name: entry.name) {
                    report.putBack += 1
                    report.problems.append("a claimed file without a journal record was returned to the inbox as \(placed.display)")
                }
            }
        }
        return report
    }

    private func recover(_ record: JournalRecord, report: inout RecoveryReport, resumeGenerations: Bool) throws {
        guard let relative = FilePath(base64: record.relativePathBase64), let name = relative.lastComponent else {
            report.problems.append("job \(record.id): its path cannot be decoded; record left in place")
            return
        }
        if let host = record.host, host != layout.hostID {
            report.problems.append("job \(record.id) (\(record.relativePath)) belongs to host \(host), not to this one (\(layout.hostID)); record left in place")
            return
        }
        let claimPath = layout.claims.appending(record.claimName)
        let claimExists = try adoptLegacyClaim(record)
        let destination = record.destinationBase64.flatMap { FilePath(base64: $0) }.map { layout.root.appending($0.components) }
        let claim = Claim(record: record, relative: relative, path: claimPath,
                          status: .init(kind: .regular, size: 0, modified: 0, inode: 0, device: 0))

        switch record.state {
        case .claimed:
            // A creative generation already paid for and less than a day old: poll it again.
            if claimExists, resumeGenerations, record.generationID != nil, record.engine == engine.name,
               let created = ISO8601DateFormatter().date(from: record.createdAt), Date().timeIntervalSince(created) < 23 * 3600,
               let status = try FileOperations.statusIfPresent(claimPath) {
                report.resumable.append(Claim(record: record, relative: relative, path: claimPath, status: status))
                return
            }
            // Nothing was filed yet: the original goes back to the inbox and is processed again.
            if claimExists { try putBack(claim); report.putBack += 1 } else { try journal.remove(record.id); report.discarded += 1 }

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
                        try FileOperations.syncDirectory(layout.claims)
                    } else {
                        _ = try place(claimPath, in: layout.join(layout.archive, relative.removingLastComponent()), name: name)
                    }
                }
                try journal.remove(record.id)
                report.finished += 1
            } else if claimExists {
                try putBack(claim)
                report.putBack += 1
            } else {
                try journal.remove(record.id)
                report.discarded += 1
            }

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
                    try putBack(claim)
                    report.putBack += 1
                }
            } else {
                try journal.remove(record.id)
                report.finished += 1
            }
        }
    }
}
