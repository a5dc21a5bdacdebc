import Foundation
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// The blocking steps of a job. Each runs on an I/O thread and follows the same rule: write
/// the journal record first (fsynced), then make the one atomic change it describes.
extension JobRunner {
    /// Claims `relative` by renaming it into the claims folder. nil when it is no longer there.
    func claim(_ relative: FilePath) throws -> Claim? {
        let source = layout.join(layout.inbox, relative)
        guard let status = try FileOperations.statusIfPresent(source) else { return nil }
        if status.kind == .directory { return nil }
        let id = Self.newJobID()
        var claimName = id
        if let ext = relative.lastComponent?.extension, ext.utf8.count <= 16, ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            claimName += ".\(ext)"
        }
        var record = JournalRecord(id: id, state: .claimed, relativePathBase64: relative.base64,
                                   relativePath: relative.display, claimName: claimName,
                                   createdAt: WallClock.iso8601())
        record.host = layout.hostID
        try journal.write(record)
        let target = layout.claims.appending(claimName)
        do {
            guard try FileOperations.renameNoReplace(source, to: target) else {
                throw SystemCallError("rename", path: target, errno: EEXIST)
            }
        } catch let error as SystemCallError where error.errno == .noSuchFileOrDirectory {
            try journal.remove(id)                        // someone else took it first
            return nil
        } catch {
            try? journal.remove(id)
            throw error
        }
        try FileOperations.syncDirectory(layout.claims)
        return Claim(record: record, relative: relative, path: target, status: status)
    }

    /// Makes the result visible and disposes of the original. nil when the original changed
    /// while it was read (a writer still had it open): the result is dropped and the file put back.
    func commit(_ claim: Claim, temp: TempFile, result: UpscaleResult, outputName: FilePath.Component,
                outDirectory: FilePath, afterSuccess: DaemonConfig.AfterSuccess) throws -> (output: FilePath, original: FilePath?)? {
        var committed = false
        defer { temp.close(committed: committed) }          // the temp is closed here, exactly once
        try temp.sync()
        try ResultVerifier.verify(temp, expectedWidth: result.width, expectedHeight: result.height)
        // Re-stat after reading: "stable" is not "complete".
        let now = try FileOperations.status(claim.path)
        if now.size != claim.status.size || now.modified != claim.status.modified {
            try putBack(claim)
            return nil
        }
        let inode = try temp.inode()
        var record = claim.record
        var output: FilePath?
        for name in OutputNaming.candidates(for: outputName, newExtension: result.format.fileExtension) {
            let candidate = outDirectory.appending(name)
            if try FileOperations.statusIfPresent(candidate) != nil { continue }
            record.state = .committingOutput
            record.afterSuccess = afterSuccess
            record.destinationBase64 = layout.rootRelative(candidate).base64
            record.outputInode = inode
            try journal.write(record)
            if try temp.commit(as: candidate) {
                output = candidate
                committed = true
                break
            }
        }
        guard let output else { throw SystemCallError("link", path: outDirectory, errno: EEXIST) }
        do {
            try FileOperations.syncDirectory(outDirectory)
            let original = try disposeOriginal(claim, afterSuccess: afterSuccess)
            try journal.remove(claim.record.id)
            return (output, original)
        } catch {
            // The result is out: the original must not go back to the inbox (that would make a
            // second result). Its journal record says so; the disposal is finished when the
            // folder answers again (a stranded claim), or at the next start.
            throw DisposalPending(output: output, cause: "\(error)", afterSuccess: afterSuccess)
        }
    }

    /// Archives (or deletes) the original once its result is durable; where it went.
    @discardableResult
    func disposeOriginal(_ claim: Claim, afterSuccess: DaemonConfig.AfterSuccess) throws -> FilePath? {
        switch afterSuccess {
        case .delete:
            try FileOperations.removeIfPresent(claim.path)
            try FileOperations.syncDirectory(layout.claims)
            return nil
        case .archive:
            let directory = layout.join(layout.archive, claim.relative.removingLastComponent())
            try FileOperations.makeDirectories(directory)
            return try place(claim.path, in: directory, name: claim.relative.lastComponent!)
        }
    }

    /// Moves the original to `failed/` (or `quarantine/`) with its sidecar written first.
    func fileAway(_ claim: Claim, failure: UpscaleFailure, quarantine: Bool, engineName: String) throws {
        let base = quarantine ? layout.quarantine : layout.failed
        let directory = layout.join(base, claim.relative.removingLastComponent())
        try FileOperations.makeDirectories(directory)
        let sidecar = FailureSidecar(
            code: failure.code, reason: failure.reason, file: claim.relative.display,
            fileBytesBase64: claim.relative.base64, engine: engineName, filedAt: WallClock.iso8601(),
            details: failure.details)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = Array((try? encoder.encode(sidecar)) ?? Data()) + [0x0A]
        var record = claim.record
        for name in OutputNaming.candidates(for: claim.relative.lastComponent!, newExtension: nil) {
            let target = directory.appending(name)
            let sidecarPath = directory.appending(OutputNaming.sidecar(for: name))
            if try FileOperations.statusIfPresent(target) != nil || FileOperations.statusIfPresent(sidecarPath) != nil {
                continue
            }
            record.state = .filingFailure
            record.destinationBase64 = layout.rootRelative(target).base64
            try journal.write(record)
            let temp = try TempFile.create(in: directory, tag: claim.record.id)
            var committed = false
            defer { temp.close(committed: committed) }
            try temp.write(json)
            try temp.sync()
            guard try temp.commit(as: sidecarPath) else { continue }
            committed = true
            if let attachment = failure.attachment {
                // The engine's own (blurred) answer, kept beside the original when configured.
                let keep = try TempFile.create(in: directory, tag: claim.record.id)
                var kept = false
                defer { keep.close(committed: kept) }
                try keep.write(attachment.bytes)
                try keep.sync()
                for keptName in OutputNaming.candidates(for: name, newExtension: "blurred.\(attachment.format.fileExtension)",
                                                        limit: 100) {
                    if try keep.commit(as: directory.appending(keptName)) { kept = true; break }
                }
            }
            let moved: Bool
            do { moved = try FileOperations.renameNoReplace(claim.path, to: target) } catch {
                try? FileOperations.removeIfPresent(sidecarPath)     // no reason without its file
                throw error
            }
            if moved {
                try FileOperations.syncDirectory(directory)
                try journal.remove(claim.record.id)
                return
            }
            try? FileOperations.removeIfPresent(sidecarPath)     // the name was taken meanwhile: next one
        }
        throw SystemCallError("rename", path: directory, errno: EEXIST)
    }

    /// Returns the original to its place in the inbox (a numbered name if a new file took it).
    /// `journal`: where its record is, when not ours (a dead host's, being replayed).
    func putBack(_ claim: Claim, journal: JobJournal? = nil) throws {
        let directory = layout.join(layout.inbox, claim.relative.removingLastComponent())
        try FileOperations.makeDirectories(directory)
        _ = try place(claim.path, in: directory, name: claim.relative.lastComponent!)
        try (journal ?? self.journal).remove(claim.record.id)
    }

    /// Renames `source` into `directory` under `name`, or the first free numbered variant; never replaces.
    func place(_ source: FilePath, in directory: FilePath, name: FilePath.Component) throws -> FilePath {
        for candidate in OutputNaming.candidates(for: name, newExtension: nil) {
            let target = directory.appending(candidate)
            if try FileOperations.renameNoReplace(source, to: target) {
                try FileOperations.syncDirectory(directory)
                return target
            }
        }
        throw SystemCallError("rename", path: directory, errno: EEXIST)
    }

    /// Sortable and unique: time, then random.
    static func newJobID() -> String {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        var generator = SystemRandomNumberGenerator()
        let random = String(generator.next() as UInt64, radix: 36)
        let time = String(millis, radix: 36)
        return time + "-" + random
    }
}

/// The result is durable in the outbox but the original could not be archived yet: the job
/// counts as done, and the disposal is finished once the folder answers again (`Stranded`),
/// or by the journal at the next start.
struct DisposalPending: Error {
    var output: FilePath
    var cause: String
    var afterSuccess: DaemonConfig.AfterSuccess
}
