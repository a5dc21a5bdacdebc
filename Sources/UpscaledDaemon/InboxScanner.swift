import SystemPackage
import UpscaledCore
import UpscaledLinux

/// Lists the files under a folder of the inbox (recursively, skipping ignored names and our
/// own state folder). Symlinks are listed, never followed. Blocking: run on an I/O thread.
public enum InboxScanner {
    /// Inbox-relative paths of every non-directory entry under `relative`.
    public static func scan(inbox: FilePath, under relative: FilePath, ignore: IgnoreRules) -> [FilePath] {
        var found: [FilePath] = []
        var folders: [FilePath] = [relative]
        while let folder = folders.popLast() {
            let full = folder.isEmpty ? inbox : inbox.appending(folder.components)
            guard let entries = try? FileOperations.listDirectory(full) else { continue }
            for entry in entries where !ignore.ignores(entry.name) {
                let child = folder.appending(entry.name)
                if entry.isFolder(in: full) { folders.append(child) } else { found.append(child) }
            }
        }
        return found.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }
}
