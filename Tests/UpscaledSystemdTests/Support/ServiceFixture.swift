import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledTestSupport

/// The repository's units, as shipped.
enum Units {
    static var user: FilePath { repositoryRoot.appending("systemd/upscaled.service") }
    static var systemTemplate: FilePath { repositoryRoot.appending("systemd/upscaled@.service") }
}

/// The repository's user unit installed, unchanged, in a real user manager, with one drop-in
/// that points `ExecStart=` at the freshly built binary and a temp root, and sends the daemon's
/// output to a file (this machine has no journald).
struct UserService {
    static let unit = "upscaled.service"

    let manager: UserManager
    var root: FilePath { manager.directory.appending("Upscale") }
    var inbox: FilePath { root.appending("inbox") }
    var outbox: FilePath { root.appending("outbox") }
    var archive: FilePath { root.appending("archive") }
    var daemonLog: FilePath { manager.directory.appending("daemon.log") }
    /// `$XDG_CONFIG_HOME/upscaled/config.toml` as the daemon sees it.
    var configFile: FilePath { manager.configHome.appending("upscaled/config.toml") }
    /// `%E/upscaled/upscaled.env`, the unit's optional EnvironmentFile=.
    var environmentFile: FilePath { manager.configHome.appending("upscaled/upscaled.env") }

    init(manager: UserManager, extraDropIn: String? = nil) async throws {
        self.manager = manager
        try manager.install(Units.user)
        try manager.dropIn(Self.unit, "10-test", """
            [Service]
            ExecStart=
            ExecStart=\(DaemonProcess.binary) run --root \(root.string)
            StandardOutput=append:\(daemonLog.string)
            StandardError=inherit
            """)
        if let extraDropIn { try manager.dropIn(Self.unit, "20-test", extraDropIn) }
        try await manager.daemonReload()
    }

    func start() async throws -> CommandResult { try await manager.systemctl(["start", Self.unit]) }
    func property(_ name: String) async throws -> String { try await manager.property(Self.unit, name) }
    func waitFor(_ name: String, timeout: Duration = .seconds(30), _ predicate: (String) -> Bool) async throws -> (met: Bool, value: String) {
        try await manager.waitFor(Self.unit, name, timeout: timeout, predicate)
    }
    var log: String { readText(daemonLog) }

    /// Everything worth seeing when an expectation fails.
    func diagnostics() async -> String {
        let status = (try? await manager.systemctl(["status", Self.unit]))?.output ?? ""
        return "systemctl status:\n\(status)\ndaemon log:\n\(log)\nmanager log:\n\(manager.log)"
    }
}

/// Starts a user manager, runs `body`, and always tears the manager down.
func withUserManager(_ body: (UserManager) async throws -> Void) async throws {
    let manager = try await UserManager.start()
    do {
        try await body(manager)
    } catch {
        await manager.shutdown()
        throw error
    }
    await manager.shutdown()
}

/// Writes a real image outside the inbox and renames it in (an atomic arrival, like `mv`).
func dropImage(_ name: String, into inbox: FilePath, staging: FilePath, width: Int = 64, height: Int = 48) throws {
    try FileManager.default.createDirectory(atPath: staging.string, withIntermediateDirectories: true)
    let source = staging.appending(UUID().uuidString + "-" + name)
    try ImageFactory.write(source, width: width, height: height)
    try FileManager.default.createDirectory(atPath: inbox.string, withIntermediateDirectories: true)
    guard rename(source.string, inbox.appending(name).string) == 0 else {
        throw HarnessError(description: "rename into the inbox failed: errno \(errno)")
    }
}

/// `/proc/PID/environ` as a dictionary (root may read any process's).
func environment(ofProcess pid: Int32) -> [String: String] {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return [:] }
    var values: [String: String] = [:]
    for entry in data.split(separator: 0) {
        let text = String(decoding: entry, as: UTF8.self)
        guard let equals = text.firstIndex(of: "=") else { continue }
        values[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    return values
}

/// One field of `/proc/PID/status` (e.g. `NoNewPrivs`), trimmed.
func statusField(ofProcess pid: Int32, _ name: String) -> String? {
    let text = readText(FilePath("/proc/\(pid)/status"))
    for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Records an issue with `diagnostics()` appended when `condition` is false: the way to attach
/// something that needs `await` to a failure (an #expect comment cannot await).
func explain(_ condition: Bool, _ what: @autoclosure () -> String, _ diagnostics: () async -> String,
             sourceLocation: SourceLocation = #_sourceLocation) async {
    if !condition {
        Issue.record("\(what())\n\(await diagnostics())", sourceLocation: sourceLocation)
    }
}
