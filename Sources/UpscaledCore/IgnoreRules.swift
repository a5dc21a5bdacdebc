import SystemPackage

/// Names the daemon must never touch: partial downloads, editor and OS litter, rsync and
/// Syncthing temp files, NAS metadata. Such files are *ignored*, never failed: a copy in
/// progress or a `Thumbs.db` must not end up in `failed/` (Upscayl #283).
public struct IgnoreRules: Sendable, Equatable {
    /// Suffixes of files still being written by a browser, transfer tool or editor.
    public static let partialSuffixes: [String] = [
        ".part", ".crdownload", ".tmp", ".filepart", ".download", ".partial", ".swp", "~",
    ]
    /// Exact names that operating systems and NAS boxes drop into shared folders.
    public static let litterNames: Set<String> = [
        "Thumbs.db", "thumbs.db", "desktop.ini", "Desktop.ini", ".DS_Store", "@eaDir", "#recycle",
        "$RECYCLE.BIN", "lost+found", ".Trash", ".Trashes",
    ]

    /// Extra glob-free suffixes from the configuration (lower-cased comparison).
    public var extraSuffixes: [String]

    public init(extraSuffixes: [String] = []) {
        self.extraSuffixes = extraSuffixes
    }

    /// True for names the daemon leaves alone, files and directories alike.
    ///
    /// Dotfiles cover rsync's `.name.XXXXXX`, Syncthing's `.syncthing.*.tmp`, macOS `._*`,
    /// NFS silly-renames `.nfsXXXX` and our own `.upscaled` state folder.
    public func ignores(_ name: FilePath.Component) -> Bool {
        let bytes = name.bytes
        guard let first = bytes.first else { return true }
        if first == UInt8(ascii: ".") { return true }
        if first == UInt8(ascii: "~") { return true }          // Office lock files `~$doc`
        let text = name.display
        if Self.litterNames.contains(text) { return true }
        let lower = text.lowercased()
        for suffix in Self.partialSuffixes + extraSuffixes.map({ $0.lowercased() })
        where !suffix.isEmpty && lower.hasSuffix(suffix) {
            return true
        }
        return false
    }
}
