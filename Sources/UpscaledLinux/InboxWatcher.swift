import Foundation
import Glibc
import Synchronization
import SystemPackage
import UpscaledCore
import CUpscaledLinux

/// Watches the inbox and every folder under it with inotify (through Glibc, no third-party
/// watcher) and reports `WatchEvent`s on an `AsyncStream`.
///
/// One dedicated thread blocks in `poll(2)` on the inotify descriptor and an eventfd used only
/// to stop it, so an idle inbox costs no CPU and nothing blocks Swift's cooperative pool. Watches
/// exist for the whole tree before `init` returns, so a scan made afterwards cannot miss a file:
/// anything dropped later produces an event, anything dropped earlier is found by the scan.
public final class InboxWatcher: Sendable {
    public let events: AsyncStream<WatchEvent>
    private let continuation: AsyncStream<WatchEvent>.Continuation
    /// Both descriptors belong to the watcher for its whole life and are closed in `deinit`
    /// only, never by the thread: `stop()` may then be called any number of times, from
    /// anywhere, without ever writing to a closed (and possibly reused) descriptor.
    let inotifyFD: CInt
    let wakeFD: CInt
    private let table: Mutex<WatchTable>
    private let thread: Mutex<Thread?>
    public let inbox: FilePath
    /// Replaced on reload (`setIgnore`), read by the watch thread for every event.
    private let ignoreRules: Mutex<IgnoreRules>

    /// The events a folder watch asks for. Never IN_CREATE for files: the file is empty then.
    static let mask: UInt32 = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE_SELF
        | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

    /// - Throws: if inotify cannot be started or the inbox itself cannot be watched (the message
    ///   names the sysctl to raise when a limit is the cause).
    public init(inbox: FilePath, ignore: IgnoreRules) throws(SystemCallError) {
        // Fault injection for tests: the kernel's watch limits are machine-wide, so a test
        // cannot lower them without disturbing everything else running.
        if let injected = ProcessInfo.processInfo.environment["UPSCALED_INJECT_INOTIFY_ERRNO"].flatMap({ CInt($0) }) {
            throw SystemCallError("inotify_add_watch", path: inbox, errno: injected)
        }
        self.inbox = inbox
        self.ignoreRules = Mutex(ignore)
        let fd = inotify_init1(CInt(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0 { throw SystemCallError("inotify_init1", errno: Glibc.errno) }
        let wake = upscaled_eventfd()
        if wake < 0 { let e = Glibc.errno; Glibc.close(fd); throw SystemCallError("eventfd", errno: e) }
        // The inbox's own watch is added before the watcher exists: a failure here closes both
        // descriptors itself, and `deinit` (which closes them too) never runs.
        let root = inbox.withPlatformString { inotify_add_watch(fd, $0, Self.mask) }
        if root < 0 {
            let e = Glibc.errno
            Glibc.close(fd)
            Glibc.close(wake)
            throw SystemCallError("inotify_add_watch", path: inbox, errno: e)
        }
        var table = WatchTable()
        table.insert(wd: root, relative: FilePath(""))
        self.inotifyFD = fd
        self.wakeFD = wake
        self.table = Mutex(table)
        self.thread = Mutex(nil)
        (events, continuation) = AsyncStream.makeStream(of: WatchEvent.self, bufferingPolicy: .unbounded)
        _ = addWatchesBelow(relative: FilePath(""))
    }

    /// The names to ignore from now on (a reload changed `ignore_suffixes`).
    public func setIgnore(_ rules: IgnoreRules) {
        ignoreRules.withLock { $0 = rules }
    }

    /// Starts the reading thread. Call once.
    public func start() {
        thread.withLock { current in
            guard current == nil else { return }
            let worker = Thread { [self] in
                nameCurrentThread("inotify")
                self.runLoop()
            }
            worker.start()
            current = worker
        }
    }

    /// Stops the thread; the event stream then finishes. Safe to call more than once, and
    /// before `start` (the thread then ends at once).
    public func stop() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    deinit {
        // The thread holds `self` while it runs, so it has ended by now (or never started).
        Glibc.close(inotifyFD)
        Glibc.close(wakeFD)
        continuation.finish()
    }

    /// How many folders are watched now.
    public var watchCount: Int { table.withLock { $0.paths.count } }

    // MARK: - Watches

    /// Adds a watch on the folder at `relative`; throws with a limit hint on ENOSPC/EMFILE.
    private func addWatch(relative: FilePath) throws(SystemCallError) {
        let full = relative.isEmpty ? inbox : inbox.appending(relative.components)
        let wd = full.withPlatformString { inotify_add_watch(inotifyFD, $0, Self.mask) }
        if wd < 0 { throw SystemCallError("inotify_add_watch", path: full, errno: Glibc.errno) }
        table.withLock { $0.insert(wd: wd, relative: relative) }
    }

    /// Watches every folder below `relative` (not the folder itself). Returns a message when a
    /// watch could not be added because of a limit.
    @discardableResult
    private func addWatchesBelow(relative: FilePath) -> String? {
        let full = relative.isEmpty ? inbox : inbox.appending(relative.components)
        guard let entries = try? FileOperations.listDirectory(full) else { return nil }
        var problem: String?
        let ignore = ignoreRules.withLock { $0 }
        for entry in entries where !ignore.ignores(entry.name) {
            guard entry.isFolder(in: full) else { continue }
            let child = relative.appending(entry.name)
            do {
                try addWatch(relative: child)
                if let nested = addWatchesBelow(relative: child) { problem = nested }
            } catch {
                problem = Self.limitMessage(error)
            }
        }
        return problem
    }

    public static func limitMessage(_ error: SystemCallError) -> String {
        switch error.errno {
        case .noSpace:
            return "\(error.description): the inotify watch limit is reached; raise fs.inotify.max_user_watches "
                + "(sysctl -w fs.inotify.max_user_watches=524288)"
        case .tooManyOpenFiles:
            return "\(error.description): too many inotify instances; raise fs.inotify.max_user_instances"
        default:
            return error.description
        }
    }

    // MARK: - The thread

    private func runLoop() {
        var fds = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        let capacity = 256 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: MemoryLayout<inotify_event>.alignment)
        defer {
            buffer.deallocate()
            continuation.finish()
        }
        while true {
            let n = poll(&fds, 2, -1)
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents & Int16(POLLIN) != 0 {
                drain(buffer: buffer, capacity: capacity)
            }
        }
    }

    private func drain(buffer: UnsafeMutableRawPointer, capacity: Int) {
        let header = MemoryLayout<inotify_event>.size
        while true {
            let n = read(inotifyFD, buffer, capacity)
            if n <= 0 { return }        // EAGAIN: drained
            var offset = 0
            while offset + header <= n {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                var name: FilePath.Component?
                if event.len > 0 {
                    let pointer = buffer.advanced(by: offset + header).assumingMemoryBound(to: CChar.self)
                    name = FilePath.Component(platformString: pointer)
                }
                handle(event, name: name)
                offset += header + Int(event.len)
            }
        }
    }

    private func handle(_ event: inotify_event, name: FilePath.Component?) {
        let mask = event.mask
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            continuation.yield(.overflow)
            return
        }
        if mask & UInt32(IN_IGNORED) != 0 {
            let wasRoot = table.withLock { $0.remove(wd: event.wd) }
            if wasRoot { continuation.yield(.inboxGone) }
            return
        }
        guard let directory = table.withLock({ $0.paths[event.wd] }) else { return }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT) != 0 {
            if directory.isEmpty { continuation.yield(.inboxGone) }
            return
        }
        guard let name, !ignoreRules.withLock({ $0.ignores(name) }) else { return }
        let relative = directory.appending(name)
        let isDirectory = mask & UInt32(IN_ISDIR) != 0
        if isDirectory {
            if mask & UInt32(IN_MOVED_FROM) != 0 {
                // The folder left (or was renamed): forget its watches, a new name comes back as IN_MOVED_TO.
                let gone = table.withLock { $0.removeSubtree(relative) }
                for wd in gone { inotify_rm_watch(inotifyFD, wd) }
            } else if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                do {
                    try addWatch(relative: relative)
                    if let problem = addWatchesBelow(relative: relative) { continuation.yield(.watchFailed(problem)) }
                } catch {
                    continuation.yield(.watchFailed(Self.limitMessage(error)))
                }
                continuation.yield(.directoryAppeared(relative))
            }
            return
        }
        if mask & UInt32(IN_MOVED_TO) != 0 {
            continuation.yield(.movedIn(relative))
        } else if mask & UInt32(IN_CLOSE_WRITE) != 0 {
            continuation.yield(.closedAfterWrite(relative))
        }
    }
}

/// The watch descriptors and the inbox-relative folder each one watches.
struct WatchTable: Sendable {
    var paths: [CInt: FilePath] = [:]

    mutating func insert(wd: CInt, relative: FilePath) { paths[wd] = relative }

    /// Removes one watch; true when it was the inbox's own.
    mutating func remove(wd: CInt) -> Bool {
        guard let path = paths.removeValue(forKey: wd) else { return false }
        return path.isEmpty
    }

    /// Removes the watches of `relative` and everything under it; returns their descriptors.
    mutating func removeSubtree(_ relative: FilePath) -> [CInt] {
        let gone = paths.filter { $0.value == relative || $0.value.starts(with: relative) }.map(\.key)
        for wd in gone { paths.removeValue(forKey: wd) }
        return gone
    }
}
