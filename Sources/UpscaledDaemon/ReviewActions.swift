import Foundation
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// A person's decisions about the files on a `ReviewShelf`: retry (back into the inbox under
/// its own name, where the usual claim rules take it), release (quarantine → archive, as
/// reviewed), delete. Each is exactly-once like a job: a journal record (`reviewing`) comes
/// first, every move is a no-replace rename, and a crash at any point is finished by
/// `finish(_:)` at the next start, or by a host taking this one over. Blocking: I/O threads.
public struct ReviewActions: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Done; where the file is now (root-relative), nil when deleted.
        case done(FilePath?)
        /// The file is no longer the one listed (moved, retried already, replaced, deleted).
        case gone
        /// The place it would go holds another file of that name.
        case occupied(FilePath)
    }

    let layout: FolderLayout
    let journal: JobJournal

    public init(layout: FolderLayout) {
        self.layout = layout
        journal = JobJournal(directory: layout.journal)
    }

    init(layout: FolderLayout, journal: JobJournal) {
        self.layout = layout
        self.journal = journal
    }

    /// Puts `item` back into the inbox at the path it came from (its sidecar says which), or
    /// at its own relative path; the sidecar goes once the file has left. `engine`: another
    /// engine to do it with (`AlternateEngines.choices`), left for the claim before the move.
    public func retry(_ item: ReviewShelf.Item, on shelf: ReviewShelf, engine: String? = nil) throws(SystemCallError) -> Outcome {
        let relative = shelf.sidecar(of: item).flatMap { Self.safeRelative(base64: $0.fileBytesBase64) } ?? item.relative
        let target = layout.inbox.appending(relative.components)
        let override = engine.map { (EngineOverride.file(in: layout.engineOverrides, inode: item.inode, relative: relative), $0) }
        return try move(item, on: shelf, action: .retry, into: target.removingLastComponent(), name: relative.lastComponent!,
                        numbered: false, override: override)
    }

    /// Moves a quarantined `item` to `archive/` (a numbered name if that one is taken).
    public func release(_ item: ReviewShelf.Item, on shelf: ReviewShelf) throws(SystemCallError) -> Outcome {
        let target = layout.archive.appending(item.relative.components)
        return try move(item, on: shelf, action: .release, into: target.removingLastComponent(), name: item.relative.lastComponent!,
                        numbered: true)
    }

    /// Deletes `item` and its sidecar. It is first renamed aside and its inode checked there,
    /// so a file that replaced the listed one (a retry that failed again) is never deleted.
    public func delete(_ item: ReviewShelf.Item, on shelf: ReviewShelf) throws(SystemCallError) -> Outcome {
        let source = shelf.path(of: item)
        Thumbnailer(cache: layout.thumbnails).forget(source)
        let record = newRecord(.delete, item: item, source: source,
                               destination: source.removingLastComponent().appending(Self.asidePrefix + UUID().uuidString))
        try journal.write(record)
        return try finish(record, step: record.review!)
    }

    /// Hidden names of files being deleted, beside their folder's other files.
    static let asidePrefix = ".upscaled-deleting-"

    /// The hidden name a moving file's sidecar waits under (`finish` knows it from the record):
    /// set aside before the file leaves, so a file put back into the inbox that fails again at
    /// once is filed under its own name, not beside its old reason as "name (1)".
    static func asideSidecar(_ folder: FilePath, record: String) -> FilePath {
        folder.appending(".upscaled-reviewing-\(record).json")
    }

    private func move(_ item: ReviewShelf.Item, on shelf: ReviewShelf, action: ReviewStep.Action, into directory: FilePath,
                      name: FilePath.Component, numbered: Bool,
                      override: (file: FilePath, engine: String)? = nil) throws(SystemCallError) -> Outcome {
        let source = shelf.path(of: item)
        let folder = source.removingLastComponent()
        let record = newRecord(action, item: item, source: source, destination: directory.appending(name))
        try journal.write(record)
        // After the record (a crash leaves none behind), before the move (the claim finds it).
        if let override {
            try FileOperations.makeDirectories(layout.engineOverrides, mode: 0o700)
            try FileOperations.writeAtomically(Array(override.engine.utf8), to: override.file)
        }
        let sidecar = folder.appending(OutputNaming.sidecar(for: source.lastComponent!))
        let aside = Self.asideSidecar(folder, record: record.id)
        var placed: FilePath?
        do {
            guard let status = try FileOperations.statusIfPresent(source), status.inode == item.inode, status.kind == .regular else {
                if let override { try FileOperations.removeIfPresent(override.file) }
                try journal.remove(record.id)
                return .gone
            }
            if try FileOperations.statusIfPresent(sidecar) != nil { try FileOperations.replace(sidecar, to: aside) }
            try FileOperations.makeDirectories(directory)
            for candidate in OutputNaming.candidates(for: name, newExtension: nil, limit: numbered ? OutputNaming.maximumAttempts : 1) {
                if try FileOperations.renameNoReplace(source, to: directory.appending(candidate)) {
                    placed = directory.appending(candidate)
                    break
                }
            }
        } catch where error.errno == .noSuchFileOrDirectory {
            placed = nil
        }
        guard let placed else {
            // Nothing moved (the file gone, or its place taken): its reason goes back beside it.
            if let override { try FileOperations.removeIfPresent(override.file) }
            _ = try finish(record, step: record.review!)
            return try FileOperations.statusIfPresent(source) == nil ? .gone : .occupied(layout.rootRelative(directory.appending(name)))
        }
        try FileOperations.syncDirectory(directory)
        _ = try finish(record, step: record.review!)
        return .done(layout.rootRelative(placed))
    }

    private func newRecord(_ action: ReviewStep.Action, item: ReviewShelf.Item, source: FilePath, destination: FilePath) -> JournalRecord {
        var record = JournalRecord(id: JobRunner.newJobID(), state: .reviewing, relativePathBase64: item.relative.base64,
                                   relativePath: item.relative.display, claimName: "", createdAt: WallClock.iso8601())
        record.host = layout.hostID
        record.review = ReviewStep(action: action, sourceBase64: layout.rootRelative(source).base64,
                                   destinationBase64: layout.rootRelative(destination).base64, inode: item.inode)
        return record
    }

    /// Completes a `reviewing` record, after the action's own steps or after a crash: what is
    /// aside for deletion is deleted if it is the file chosen (else put back); a sidecar whose
    /// file has left goes; the record goes last.
    @discardableResult
    func finish(_ record: JournalRecord, step: ReviewStep) throws(SystemCallError) -> Outcome {
        guard let source = FilePath(base64: step.sourceBase64).map({ layout.root.appending($0.components) }),
              let destination = FilePath(base64: step.destinationBase64).map({ layout.root.appending($0.components) }),
              let name = source.lastComponent else {
            try journal.remove(record.id)
            return .gone
        }
        var outcome = Outcome.done(nil)
        let folder = source.removingLastComponent()
        if step.action == .delete {
            do {
                _ = try FileOperations.renameNoReplace(source, to: destination)
            } catch where error.errno == .noSuchFileOrDirectory {}           // moved away, or aside already
            if let aside = try FileOperations.statusIfPresent(destination) {
                if aside.inode == step.inode {
                    try FileOperations.removeIfPresent(destination)
                } else {
                    for candidate in OutputNaming.candidates(for: name, newExtension: nil) {
                        if try FileOperations.renameNoReplace(destination, to: folder.appending(candidate)) { break }
                    }
                    outcome = .gone
                }
            } else {
                outcome = .gone
            }
            try FileOperations.syncDirectory(folder)
        }
        let sidecar = folder.appending(OutputNaming.sidecar(for: name))
        if step.action == .delete {
            // The reason stays while a file of that name is there (the listed one, or a new one).
            if try FileOperations.statusIfPresent(source) == nil {
                try FileOperations.removeIfPresent(sidecar)
                try FileOperations.syncDirectory(folder)
            }
        } else {
            // A retry or release: the reason set aside goes back if the file is still here, else goes.
            let aside = Self.asideSidecar(folder, record: record.id)
            let stayed = try FileOperations.statusIfPresent(source).map { $0.inode == step.inode } ?? false
            if stayed, step.action == .retry, var relative = FilePath(base64: step.destinationBase64),
               relative.removePrefix("inbox") {
                // Not moved: the engine it asked for is not left for another file to find.
                try FileOperations.removeIfPresent(EngineOverride.file(in: layout.engineOverrides, inode: step.inode, relative: relative))
            }
            if try FileOperations.statusIfPresent(aside) != nil {
                var restored = false
                if stayed { restored = try FileOperations.renameNoReplace(aside, to: sidecar) }
                if !restored { try FileOperations.removeIfPresent(aside) }
                try FileOperations.syncDirectory(folder)
            }
        }
        try journal.remove(record.id)
        return outcome
    }

    /// A path from a sidecar (a file anyone with write access to failed/ could edit) is used
    /// only if it stays inside the inbox: relative, no `.`, `..` or empty components, not hidden.
    static func safeRelative(base64: String) -> FilePath? {
        guard let path = FilePath(base64: base64), !path.isAbsolute, path.lastComponent != nil else { return nil }
        for component in path.components {
            let text = component.string
            if component.kind != .regular || text.isEmpty || text.hasPrefix(".") { return nil }
        }
        return path
    }
}
