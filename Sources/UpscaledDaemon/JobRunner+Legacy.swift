import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Versions before per-host state kept one journal and one claims folder for every daemon on a
/// root, and replayed all of it at each start, another host's jobs included. A start now adopts
/// what is left there: each record by one no-replace rename into this host's journal (of two
/// hosts starting together, exactly one takes it), its claimed file following when the record
/// is replayed. A claim that no record of any host names is adopted the same way, and the
/// replay returns it to the inbox as before.
extension JobRunner {
    func adoptLegacyState(report: inout RecoveryReport) {
        // Records first, so their claims are never taken for strays by another host.
        for entry in (try? FileOperations.listDirectory(layout.legacyJournal)) ?? []
        where entry.name.extension == "json" && !entry.name.string.hasPrefix(".") {
            let source = layout.legacyJournal.appending(entry.name)
            do {
                if try FileOperations.renameNoReplace(source, to: layout.journal.appending(entry.name)) {
                    report.adopted += 1
                } else {
                    report.problems.append("the old journal record \(source.display) has the name of one of ours; left in place")
                }
            } catch where error.errno == .noSuchFileOrDirectory {
                // Another host adopted it first.
            } catch {
                report.problems.append("could not adopt the old journal record \(source.display): \(error)")
            }
        }
        let strays = ((try? FileOperations.listDirectory(layout.legacyClaims)) ?? [])
            .filter { !$0.name.string.hasPrefix(".") }
        guard !strays.isEmpty else { return }
        // Listed after the records moved: a record is always in one of the journals read here.
        let named = claimNamesInEveryJournal()
        for entry in strays where !named.contains(entry.name.string) {
            let source = layout.legacyClaims.appending(entry.name)
            if (try? FileOperations.renameNoReplace(source, to: layout.claims.appending(entry.name))) == true {
                report.adopted += 1
            }
        }
    }

    /// The claimed file of one of our records, moved in from the old shared claims folder if it
    /// is still there. - Returns: whether the claim is in our claims folder now.
    func adoptLegacyClaim(_ record: JournalRecord, into claims: FilePath) throws -> Bool {
        let ours = claims.appending(record.claimName)
        if try FileOperations.statusIfPresent(ours) != nil { return true }
        let legacy = layout.legacyClaims.appending(record.claimName)
        guard try FileOperations.statusIfPresent(legacy) != nil else { return false }
        guard try FileOperations.renameNoReplace(legacy, to: ours) else { return false }
        try FileOperations.syncDirectory(claims)
        return true
    }

    /// Every claim name a record names, in the old shared journal and in every host's journal.
    private func claimNamesInEveryJournal() -> Set<String> {
        let journals = [layout.legacyJournal, layout.journal] + layout.otherHostIDs().map { layout.ofHost($0).journal }
        var names = Set<String>()
        for directory in journals {
            guard let listing = try? JobJournal(directory: directory).allReadOnly() else { continue }
            names.formUnion(listing.map(\.claimName))
        }
        return names
    }
}
