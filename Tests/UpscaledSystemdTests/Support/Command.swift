import Foundation
import Glibc
import SystemPackage
import UpscaledTestSupport

/// What a finished command printed and returned.
struct CommandResult: CustomStringConvertible {
    var status: Int32
    var output: String
    var error: String
    var timedOut: Bool

    var description: String {
        "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(output)\nstderr: \(error)"
    }
}

/// Runs a program to completion with a deadline. Output goes through temp files (never a pipe
/// that could fill up while we wait).
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                currentDirectory: String? = nil, timeout: Duration = .seconds(60)) async throws -> CommandResult {
    let scratch = TempDirectory("upscaled-cmd")
    let out = scratch.appending("stdout").string
    let err = scratch.appending("stderr").string
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
    try process.run()
    let finished = await eventually(timeout: timeout) { !process.isRunning }
    if !finished {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
    return CommandResult(status: process.terminationStatus, output: stdout, error: stderr, timedOut: !finished)
}

/// The first of `candidates` that exists and is executable, or nil.
func findExecutable(_ name: String, in directories: [String] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) -> String? {
    for directory in directories {
        let path = directory + "/" + name
        if access(path, X_OK) == 0 { return path }
    }
    return nil
}

/// The repository's root, found from this source file's path (Tests/UpscaledSystemdTests/Support/).
let repositoryRoot: FilePath = {
    var path = FilePath(#filePath)
    for _ in 0..<4 { path.removeLastComponent() }
    return path
}()

/// A folder under /srv (what a NAS root looks like to the hardened unit: not under /tmp, /run,
/// /home or /root, which the unit hides or makes private), removed with everything in it.
final class ServiceDirectory: Sendable {
    let path: FilePath

    init(_ label: String) throws {
        let parent = access("/srv", W_OK) == 0 ? "/srv" : "/var/lib"
        var template = Array("\(parent)/\(label).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw HarnessError(description: "mkdtemp in \(parent) failed: errno \(errno)") }
        path = FilePath(String(decoding: template.map { UInt8(bitPattern: $0) }.prefix { $0 != 0 }, as: UTF8.self))
        chmod(path.string, 0o755)
    }

    deinit { try? FileManager.default.removeItem(atPath: path.string) }

    func appending(_ relative: String) -> FilePath { path.appending(relative) }
}

func writeText(_ path: FilePath, _ text: String) throws {
    var parent = path
    parent.removeLastComponent()
    try FileManager.default.createDirectory(atPath: parent.string, withIntermediateDirectories: true)
    try text.write(toFile: path.string, atomically: false, encoding: .utf8)
}

func readText(_ path: FilePath) -> String {
    (try? String(contentsOfFile: path.string, encoding: .utf8)) ?? ""
}
