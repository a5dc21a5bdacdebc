import SystemPackage

/// Chooses result and destination names: the input's relative path mirrored under a folder,
/// the extension swapped, a numbered variant when the name is taken (never overwrite), and
/// names too long for Linux's 255-byte limit shortened with a hash so they stay unique.
public enum OutputNaming {
    public static let maximumNameBytes = 255

    /// The `attempt`-th candidate name for `original` with extension `newExtension`
    /// (nil keeps the original name whole). Attempt 0 is the plain name, then "name (1).png"…
    public static func candidate(
        for original: FilePath.Component, newExtension: String?, attempt: Int
    ) -> FilePath.Component {
        let bytes = original.bytes
        var stem = bytes
        var ext: [UInt8] = []
        if let newExtension {
            if let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot > 0 { stem = Array(bytes[..<dot]) }
            ext = Array(".\(newExtension)".utf8)
        } else if let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot > 0 {
            stem = Array(bytes[..<dot])
            ext = Array(bytes[dot...])
        }
        let counter: [UInt8] = attempt == 0 ? [] : Array(" (\(attempt))".utf8)
        var name = stem + counter + ext
        if name.count > maximumNameBytes {
            // Keep the start of the stem (cut at a UTF-8 boundary), then a hash of the full name.
            let hash = Array("~\(fnv1a64Hex(bytes))".utf8)
            let room = maximumNameBytes - hash.count - counter.count - min(ext.count, 32)
            let keptExt = Array(ext.prefix(32))
            var cut = min(room, stem.count)
            while cut > 0 && (stem[cut] & 0xC0) == 0x80 { cut -= 1 }     // no split characters
            name = Array(stem[..<cut]) + hash + counter + keptExt
        }
        return FilePath.Component(bytes: name)!
    }

    /// How many numbered variants of one name are tried before a folder counts as full.
    public static let maximumAttempts = 10_000

    /// Every candidate for `original`, in order: the plain name, then "name (1).png"… A caller
    /// tries each until one is free (with a no-replace rename or link, never a prior check alone).
    public static func candidates(for original: FilePath.Component, newExtension: String?,
                                  limit: Int = maximumAttempts) -> some Sequence<FilePath.Component> {
        (0..<limit).lazy.map { candidate(for: original, newExtension: newExtension, attempt: $0) }
    }

    /// A sidecar's name for a file in `failed/` or `quarantine/`: `<name>.json`, shortened the same way.
    public static func sidecar(for file: FilePath.Component) -> FilePath.Component {
        var name = file.bytes + Array(".json".utf8)
        if name.count > maximumNameBytes {
            let hash = Array("~\(fnv1a64Hex(file.bytes)).json".utf8)
            var cut = maximumNameBytes - hash.count
            let bytes = file.bytes
            while cut > 0 && (bytes[cut] & 0xC0) == 0x80 { cut -= 1 }
            name = Array(bytes[..<cut]) + hash
        }
        return FilePath.Component(bytes: name)!
    }

    /// FNV-1a, 64 bit, as 16 hex digits: stable across runs and platforms, enough to keep
    /// shortened names apart (it is not a security boundary).
    public static func fnv1a64Hex(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
