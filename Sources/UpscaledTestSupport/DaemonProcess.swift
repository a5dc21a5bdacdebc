import Foundation
import Glibc
import SystemPackage

/// The real `upscaled` binary started as a subprocess, with its stderr captured to a file.
public final class DaemonProcess: @unchecked Sendable {
    // @unchecked: `process` is a Foundation.Process, internally synchronised; the other
    // stored properties are immutable.
    public let process: Process
    public let logPath: FilePath

    /// The built binary, beside the test bundle (`swift build` puts both in the same folder).
    public static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["UPSCALED_BINARY"] { return explicit }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            let candidate = url.deletingLastPathComponent().appendingPathComponent("upscaled")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate.path
            }
            url = url.deletingLastPathComponent()
        }
        return ".build/debug/upscaled"
    }

    /// Starts `upscaled ARGS` with `environment` added to a clean environment (HOME and
    /// XDG_CONFIG_HOME point into `home`, so no real user config is read). `launcher`: a command
    /// that runs the binary, given as its next arguments (a mount namespace, see `SeparateHost`).
    public init(_ arguments: [String], home: FilePath, environment: [String: String] = [:], launcher: [String] = []) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? Self.binary)
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [Self.binary] + arguments
        var env: [String: String] = ["HOME": home.string, "XDG_CONFIG_HOME": home.appending("config").string,
                                     "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                                     "LANG": "C.UTF-8"]
        env.merge(environment) { _, new in new }
        process.environment = env
        logPath = home.appending("daemon-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logPath.string, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath.string))
        process.standardError = handle
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit (with a deadline); its exit status, or nil on time-out.
    public func waitForExit(timeout: Duration = .seconds(60)) async -> Int32? {
        let done = await eventually(timeout: timeout) { !process.isRunning }
        return done ? process.terminationStatus : nil
    }

    /// What the daemon logged so far.
    public var log: String {
        (try? String(contentsOfFile: logPath.string, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Runs the binary to completion and returns its exit code and combined output.
public func runUpscaled(_ arguments: [String], home: FilePath, environment: [String: String] = [:],
                        timeout: Duration = .seconds(120)) async throws -> (status: Int32, output: String) {
    let daemon = try DaemonProcess(arguments, home: home, environment: environment)
    let status = await daemon.waitForExit(timeout: timeout) ?? -1
    return (status, daemon.log)
}
