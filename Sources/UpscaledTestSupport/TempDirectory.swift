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
        // UPSCALED_TEST_KEEP=1 keeps every folder a test made, to look at after a failure.
        if ProcessInfo.processInfo.environment["UPSCALED_TEST_KEEP"] != nil { return }
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

/// One writer's session on a file in place, the way a copy tool or SMB client does it: open(2),
/// write(2), close(2), nothing else, so the close's IN_CLOSE_WRITE comes before the caller's next
/// step. `appending: false` creates the file (it must not exist yet); `true` adds to its end.
/// O_CLOEXEC matters: tests run in parallel and spawn processes, and a child that inherited the
/// descriptor would hold the file open until it execs, so the last close (and its event) could
/// come after whatever the test does next.
public func writeInPlace(_ path: FilePath, _ bytes: some Collection<UInt8>, appending: Bool = false) throws {
    let flags = O_WRONLY | O_CLOEXEC | (appending ? O_APPEND : O_CREAT | O_EXCL)
    let fd = open(path.string, flags, 0o644)
    guard fd >= 0 else { throw HarnessError(description: "open \(path): errno \(errno)") }
    defer { close(fd) }
    let chunk = Array(bytes)
    let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == chunk.count else { throw HarnessError(description: "write \(path): \(written) of \(chunk.count) bytes") }
}

public func readFile(_ path: FilePath) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path.string)))
}

public func exists(_ path: FilePath) -> Bool {
    var st = stat()
    return path.withPlatformString { lstat($0, &st) } == 0
}

/// `eventually` for a condition that must await (a browser's answer, say).
public func eventuallyAsync(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
