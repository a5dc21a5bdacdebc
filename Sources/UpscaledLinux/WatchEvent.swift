import SystemPackage

/// What the inbox watcher reports. Paths are relative to the inbox.
public enum WatchEvent: Sendable, Equatable {
    /// A file was closed after writing in place: it may be re-opened, so it must settle.
    case closedAfterWrite(FilePath)
    /// A file was renamed into the inbox: complete at once.
    case movedIn(FilePath)
    /// A folder appeared (created or moved in); it is watched now, and must be scanned because
    /// files may have landed in it before its watch existed.
    case directoryAppeared(FilePath)
    /// The kernel's event queue overflowed: events were lost, rescan everything.
    case overflow
    /// The inbox itself was removed, moved or unmounted.
    case inboxGone
    /// A watch could not be added (limits); the message says what to raise.
    case watchFailed(String)
}
