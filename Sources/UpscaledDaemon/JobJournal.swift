import Foundation
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The on-disk job journal: one small JSON file per job in `inbox/.upscaled/hosts/<host>/journal/`, replaced
/// atomically and fsynced at every step. Blocking: call it from an I/O thread.
public struct JobJournal: Sendable {
    public let directory: FilePath

    public init(directory: FilePath) { self.directory = directory }

    func path(_ id: String) -> FilePath { directory.appending("\(id).json") }

    public func write(_ record: JournalRecord) throws(SystemCallError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(record)) ?? Data()
        try FileOperations.writeAtomically(Array(data), to: path(record.id))
    }

    public func remove(_ id: String) throws(SystemCallError) {
        try FileOperations.removeIfPresent(path(id))
        try FileOperations.syncDirectory(directory)
    }

    /// Every record left by an earlier run; unreadable ones are reported, not guessed at.
    public func all() throws(SystemCallError) -> (records: [JournalRecord], unreadable: [FilePath]) {
        var records: [JournalRecord] = []
        var unreadable: [FilePath] = []
        for entry in try FileOperations.listDirectory(directory) {
            let file = directory.appending(entry.name)
            if entry.name.bytes.starts(with: Array(TempFile.hiddenPrefix.utf8)) {
                try? FileOperations.removeIfPresent(file)          // a write interrupted by a crash
                continue
            }
            guard entry.name.extension == "json" else { continue }
            if let record = Self.record(at: file) { records.append(record) } else { unreadable.append(file) }
        }
        return (records.sorted { $0.createdAt < $1.createdAt }, unreadable)
    }
}

extension JobJournal {
    /// The records of another host's journal, read without touching anything in it.
    func allReadOnly() throws(SystemCallError) -> [JournalRecord] {
        try FileOperations.listDirectory(directory).compactMap { entry in
            guard entry.name.extension == "json", !entry.name.string.hasPrefix(".") else { return nil }
            return Self.record(at: directory.appending(entry.name))
        }
    }

    /// The record in `file`, or nil when it cannot be read or decoded.
    static func record(at file: FilePath) -> JournalRecord? {
        guard let bytes = try? FileOperations.readAll(file) else { return nil }
        return try? JSONDecoder().decode(JournalRecord.self, from: Data(bytes))
    }
}

extension FilePath {
    /// Base64 of the exact path bytes, for JSON.
    public var base64: String { Data(bytes).base64EncodedString() }

    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64) else { return nil }
        self.init(bytes: Array(data))
    }
}
