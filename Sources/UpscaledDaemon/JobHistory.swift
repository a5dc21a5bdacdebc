import Foundation
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The last jobs this host finished (`capacity`, default 10,000), for the page and `/api/jobs`:
/// kept in memory, and appended as JSON lines to `hosts/<id>/history.jsonl` on a thread of its
/// own, so it survives restarts. When that file reaches half the capacity it becomes
/// `history.1.jsonl` (the one before is dropped): the files never hold more than the capacity,
/// and no write ever rewrites the whole history.
public final class JobHistory: Sendable {
    public let folder: FilePath
    public let capacity: Int
    private struct State {
        var entries: [HistoryEntry] = []          // oldest first
        var linesInCurrent = 0
        var observers: [UInt64: @Sendable (HistoryEntry) -> Void] = [:]
        var nextObserver: UInt64 = 0
    }
    private let state = Mutex(State())
    private static let writer = SerialWorker(name: "history-writer")

    var current: FilePath { folder.appending("history.jsonl") }
    var previous: FilePath { folder.appending("history.1.jsonl") }

    /// Reads what earlier runs kept. Blocking: call it from an I/O thread.
    public init(folder: FilePath, capacity: Int = 10_000) {
        self.folder = folder
        self.capacity = max(2, capacity)
        let older = Self.read(folder.appending("history.1.jsonl"))
        let newer = Self.read(folder.appending("history.jsonl"))
        // A line a crash cut short is ended, so the next entry starts a line of its own.
        if let last = try? FileOperations.readAll(folder.appending("history.jsonl"), limit: 64 << 20).last, last != 0x0A {
            Self.append([0x0A], to: folder.appending("history.jsonl"))
        }
        state.withLock {
            $0.entries = Array((older + newer).suffix(self.capacity))
            $0.linesInCurrent = newer.count
        }
    }

    /// Keeps `entry` and appends it to the file (off the caller's thread).
    public func record(_ entry: HistoryEntry) {
        let (rotate, observers) = state.withLock { state -> (Bool, [@Sendable (HistoryEntry) -> Void]) in
            state.entries.append(entry)
            if state.entries.count > capacity { state.entries.removeFirst(state.entries.count - capacity) }
            state.linesInCurrent += 1
            let rotate = state.linesInCurrent > capacity / 2
            if rotate { state.linesInCurrent = 1 }
            return (rotate, Array(state.observers.values))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let line = try? encoder.encode(entry) else { return }
        let current = self.current
        let previous = self.previous
        Self.writer.post {
            if rotate { try? FileOperations.replace(current, to: previous) }
            Self.append(Array(line) + [0x0A], to: current)
        }
        for observer in observers { observer(entry) }
    }

    /// Newest first: those with `outcome` (nil: all) whose file name contains `text` (any case).
    public func recent(offset: Int, limit: Int, outcome: HistoryEntry.Outcome? = nil, text: String = "") -> (total: Int, entries: [HistoryEntry]) {
        state.withLock { state in
            let matching = state.entries.reversed().filter { entry in
                (outcome == nil || entry.outcome == outcome) && (text.isEmpty || entry.file.lowercased().contains(text))
            }
            return (matching.count, Array(matching.dropFirst(offset).prefix(limit)))
        }
    }

    public func entry(id: String) -> HistoryEntry? {
        state.withLock { $0.entries.last { $0.id == id } }
    }

    /// Calls `observer` with every entry recorded from now on (the page's live updates) until
    /// the returned token is given to `removeObserver`.
    public func observe(_ observer: @escaping @Sendable (HistoryEntry) -> Void) -> UInt64 {
        state.withLock { state in
            state.nextObserver += 1
            state.observers[state.nextObserver] = observer
            return state.nextObserver
        }
    }

    public func removeObserver(_ token: UInt64) {
        _ = state.withLock { $0.observers.removeValue(forKey: token) }
    }

    /// Waits until every entry recorded so far is in the file (tests, shutdown).
    public func drain() { Self.writer.flush() }

    /// Lines that do not decode (a crash mid-write, a newer version's) are skipped.
    static func read(_ file: FilePath) -> [HistoryEntry] {
        guard let bytes = try? FileOperations.readAll(file, limit: 64 << 20) else { return [] }
        let decoder = JSONDecoder()
        return bytes.split(separator: 0x0A).compactMap { try? decoder.decode(HistoryEntry.self, from: Data($0)) }
    }

    static func append(_ bytes: [UInt8], to file: FilePath) {
        let fd = open(file.string, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
