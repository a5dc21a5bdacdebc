import Foundation
import Glibc
import SystemPackage
import UpscaledCore

/// A real temporary folder (mkdtemp), removed with everything in it when released.
public final class TempDirectory: Sendable {
    public let path: FilePath

    public init(_ label: String = "upscaled-test") {
        var template = Array("\(NSTemporaryDirectory())/\(label).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: \(errno)")
        path = FilePath(String(decoding: template.map { UInt8(bitPattern: $0) }.prefix { $0 != 0 }, as: UTF8.self))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path.string)
    }

    public func appending(_ relative: String) -> FilePath { path.appending(relative) }
}

/// Polls `condition` until it holds or `timeout` passes: a wait with a deadline, never a fixed sleep.
public func eventually(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

/// Files and folders under `path` (relative, sorted), for asserting where everything went.
public func listTree(_ path: FilePath, includeHidden: Bool = false) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: path.string) else { return [] }
    var out: [String] = []
    while let next = enumerator.nextObject() as? String {
        if !includeHidden && next.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
        out.append(next)
    }
    return out.sorted()
}

/// Regular files directly or deeply under `path`, relative.
public func listFiles(_ path: FilePath, includeHidden: Bool = false) -> [String] {
    listTree(path, includeHidden: includeHidden).filter { name in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path.appending(name).string, isDirectory: &isDirectory)
            && !isDirectory.boolValue
    }
}

public func writeFile(_ path: FilePath, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path.string))
}

public func readFile(_ path: FilePath) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path.string)))
}

public func exists(_ path: FilePath) -> Bool {
    var st = stat()
    return path.withPlatformString { lstat($0, &st) } == 0
}
