import Glibc
import SystemPackage

/// File names are bytes on Linux, not Unicode: a name from a Windows share or a macOS NFD
/// tarball must survive untouched. These helpers read and build names byte-exactly, never
/// through `String` (which would repair invalid UTF-8 and so change the name).
extension FilePath.Component {
    /// The raw bytes of this component, without the terminating NUL.
    public var bytes: [UInt8] { withPlatformString(nulTerminatedBytes) }

    /// Builds a component from raw bytes; nil for empty names, `.`, `..` or names containing `/` or NUL.
    public init?(bytes: [UInt8]) {
        guard !bytes.isEmpty, !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")) else { return nil }
        let cString = bytes.map { CChar(bitPattern: $0) } + [0]
        let built: FilePath.Component? = cString.withUnsafeBufferPointer { FilePath.Component(platformString: $0.baseAddress!) }
        guard let built else { return nil }
        self = built
    }

    /// The name for humans and logs: invalid UTF-8 is shown with replacement characters.
    public var display: String { String(decoding: bytes, as: UTF8.self) }
}

extension FilePath {
    /// Raw bytes of the whole path, for journals and sidecars (stored base64 where JSON needs text).
    public var bytes: [UInt8] { withPlatformString(nulTerminatedBytes) }

    /// Builds a path from raw bytes (no NUL allowed).
    public init?(bytes: [UInt8]) {
        guard !bytes.contains(0) else { return nil }
        let cString = bytes.map { CChar(bitPattern: $0) } + [0]
        self = cString.withUnsafeBufferPointer { FilePath(platformString: $0.baseAddress!) }
    }

    /// The path for humans and logs.
    public var display: String { String(decoding: bytes, as: UTF8.self) }
}

/// The bytes of a NUL-terminated C string, without the NUL.
private func nulTerminatedBytes(_ cString: UnsafePointer<CChar>) -> [UInt8] {
    UnsafeBufferPointer(start: cString, count: strlen(cString)).map { UInt8(bitPattern: $0) }
}
