import Foundation
import Glibc
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The files waiting for a person in `failed/` or `quarantine/`, as the page and its API list
/// them: each under an id the daemon gives it (a hash of its path, its inode and its change
/// time), never a path a request could bend. A file replaced under the same name, or the same
/// file filed here again after a retry (a rename changes the change time), gets a new id, so an
/// action on what was listed never touches what came after. Blocking: call it from an I/O thread.
public struct ReviewShelf: Sendable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case failed, quarantine }

    /// One file on the shelf.
    public struct Item: Sendable, Equatable {
        public var id: String
        /// Relative to its folder (`sub/a.png`): exact bytes.
        public var relative: FilePath
        public var size: Int64
        public var modified: Double
        public var inode: UInt64
        /// The inode's change time (ctime), in nanoseconds.
        public var changed: UInt64
        /// Its sidecar's path, when it has one.
        public var sidecar: FilePath?
    }

    public let kind: Kind
    public let folder: FilePath

    public init(_ kind: Kind, layout: FolderLayout) {
        self.kind = kind
        folder = kind == .failed ? layout.failed : layout.quarantine
    }

    /// The id of `relative` with `inode` changed at `changed`: opaque, stable while the file
    /// stays, different for every other file (the inode), name (the hash) or filing (the ctime).
    public func id(of relative: FilePath, inode: UInt64, changed: UInt64) -> String {
        "\(kind == .failed ? "f" : "q")\(OutputNaming.fnv1a64Hex(relative.bytes))\(String(inode, radix: 16))x\(String(changed, radix: 16))"
    }

    /// Every file, newest first (then by name), found by walking the folder without following
    /// a symlink; sidecars, hidden temps and the engine's kept answers (`.blurred.`) are not items.
    public func items() -> [Item] { listing().items }

    /// The items, and the change times of every folder walked: while none of those folders has
    /// changed (an entry added, removed or renamed changes its folder's mtime), the listing
    /// still holds (`isCurrent`), so a page of 10,000 files is not walked again per request.
    public struct Listing: Sendable {
        public var items: [Item]
        var folders: [(path: FilePath, modified: Int64)]
    }

    public func listing() -> Listing {
        var found: [Item] = []
        var folders: [(path: FilePath, modified: Int64)] = []
        walk(FilePath(""), depth: 0, into: &found, folders: &folders)
        // Newest first; the same second by name (bytes compared once, not per comparison).
        let keyed = found.map { ($0, $0.relative.bytes) }.sorted { a, b in
            a.0.modified != b.0.modified ? a.0.modified > b.0.modified : a.1.lexicographicallyPrecedes(b.1)
        }
        return Listing(items: keyed.map(\.0), folders: folders)
    }

    /// Whether no folder of `listing` has changed since it was made (one stat per folder).
    public func isCurrent(_ listing: Listing) -> Bool {
        !listing.folders.isEmpty && listing.folders.allSatisfy { Self.modified($0.path) == $0.modified }
    }

    static func modified(_ path: FilePath) -> Int64? {
        var info = stat()
        guard path.withPlatformString({ lstat($0, &info) }) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// The item with `id`, looked up afresh (nil: gone, replaced, or never ours).
    public func item(id: String) -> Item? {
        guard id.count > 19, id.count < 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return items().first { $0.id == id }
    }

    /// Folders nested deeper than this are not listed (a loop of bind mounts cannot trap us).
    static let maximumDepth = 32

    private func walk(_ relative: FilePath, depth: Int, into found: inout [Item], folders: inout [(path: FilePath, modified: Int64)]) {
        let directory = relative.isEmpty ? folder : folder.appending(relative.components)
        // Its mtime before its entries: a change while it is read makes the listing stale, not wrong.
        guard let modified = Self.modified(directory), let entries = try? FileOperations.listDirectory(directory) else { return }
        folders.append((directory, modified))
        // Names as bytes: two names that are not UTF-8 must never look alike (a String would
        // repair both to the same replacement characters).
        let named = entries.map { ($0, $0.name.bytes) }
        let names = Set(named.map(\.1))
        for (entry, name) in named where name.first != UInt8(ascii: ".") {
            let path = relative.isEmpty ? FilePath(root: nil, [entry.name]) : relative.appending(entry.name)
            var info = stat()
            guard directory.appending(entry.name).withPlatformString({ lstat($0, &info) }) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR where depth < Self.maximumDepth:
                walk(path, depth: depth + 1, into: &found, folders: &folders)
            case S_IFREG:
                if name.count > 5, name.suffix(5).elementsEqual(".json".utf8), names.contains(Array(name.dropLast(5))) { continue }
                if kind == .quarantine, entry.name.display.contains(".blurred.") { continue }     // the API's kept answer
                let sidecarName = OutputNaming.sidecar(for: entry.name)
                let sidecar = names.contains(sidecarName.bytes) ? directory.appending(sidecarName) : nil
                let inode = UInt64(info.st_ino)
                let changed = UInt64(info.st_ctim.tv_sec) * 1_000_000_000 + UInt64(info.st_ctim.tv_nsec)
                found.append(Item(id: id(of: path, inode: inode, changed: changed), relative: path, size: Int64(info.st_size),
                                  modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9,
                                  inode: inode, changed: changed, sidecar: sidecar))
            default:
                continue                                   // symlinks, FIFOs, sockets, devices: never served
            }
        }
    }

    /// The reason filed with `item`, when its sidecar is there and readable.
    public func sidecar(of item: Item) -> FailureSidecar? {
        guard let path = item.sidecar, let bytes = try? FileOperations.readAll(path, limit: 1 << 20) else { return nil }
        return try? JSONDecoder().decode(FailureSidecar.self, from: Data(bytes))
    }

    /// The item's path on disk.
    public func path(of item: Item) -> FilePath { folder.appending(item.relative.components) }
}
