import Foundation
import Glibc
import Synchronization
import SystemPackage
import UpscaledTestSupport

/// A real systemd user manager (`systemd --user`) for one test, as /work/shared/real-systemd.md
/// describes: its own runtime and configuration folders, talked to with `systemctl --user`.
///
/// The machine is prepared the way PID 1 would have prepared it, and left as it was found:
/// - `/run/systemd/system`, the marker without which `systemd --user` refuses to start;
/// - `/run/systemd/inaccessible/*`, the nodes a root manager mounts over hidden paths
///   (ProtectHome=, ProtectKernelTunables=...), which PID 1 normally creates at boot;
/// - the credentials folder bind-mounted onto itself as a *shared* mount: the manager writes
///   each unit's credentials into a private mount namespace and moves the mount into place,
///   which only reaches our namespace through mount propagation (PID 1 makes `/` shared).
/// Everything is created only when missing, and removed only when we created it (HostPreparation).
final class UserManager: @unchecked Sendable {
    // @unchecked: every stored property is set in init and never changed afterwards, except
    // `stopped`, which only `shutdown()` touches (tests call it once, at the end).
    let directory: ServiceDirectory
    let runtime: FilePath
    let configHome: FilePath
    let unitDirectory: FilePath
    let logPath: FilePath
    private let process: Process
    private let credentialsMount: FilePath
    private var stopped = false

    static let systemctlPath = findExecutable("systemctl") ?? "/bin/systemctl"
    static let managerPath = (["/lib/systemd/systemd", "/usr/lib/systemd/systemd"] as [String]).first { access($0, X_OK) == 0 }
        ?? "/lib/systemd/systemd"

    /// Starts a manager and waits (with a deadline) until it is running.
    static func start() async throws -> UserManager {
        let manager = try UserManager()
        do {
            try await manager.waitUntilRunning()
        } catch {
            await manager.shutdown()
            throw error
        }
        return manager
    }

    private init() throws {
        try HostPreparation.acquire()
        do {
            try FileManager.default.createDirectory(atPath: "/run/systemd/system", withIntermediateDirectories: true)
            try Self.makeInaccessibleNodes()
        } catch {
            HostPreparation.release()
            throw error
        }

        directory = try ServiceDirectory("upscaled-systemd-test")
        runtime = directory.appending("runtime")
        configHome = directory.appending("config")
        unitDirectory = configHome.appending("systemd/user")
        logPath = directory.appending("manager.log")
        try FileManager.default.createDirectory(atPath: runtime.string, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.createDirectory(atPath: unitDirectory.string, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.appending("home").string, withIntermediateDirectories: true)

        credentialsMount = runtime.appending("credentials")
        try FileManager.default.createDirectory(atPath: credentialsMount.string, withIntermediateDirectories: true)
        guard mount(credentialsMount.string, credentialsMount.string, nil, UInt(MS_BIND), nil) == 0,
              mount(nil, credentialsMount.string, nil, UInt(MS_SHARED), nil) == 0 else {
            throw HarnessError(description: "cannot make \(credentialsMount) a shared mount: errno \(errno)")
        }

        _ = FileManager.default.createFile(atPath: logPath.string, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: findExecutable("setsid") ?? "/usr/bin/setsid")
        // --wait: Foundation starts children in their own process group, so setsid(1) must fork
        // to make a new session; it then waits for the manager, and `process` tracks it.
        process.arguments = ["--wait", Self.managerPath, "--user"]
        // A clean environment: the manager hands its own environment to every unit.
        process.environment = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": directory.appending("home").string,
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": runtime.string,
            "XDG_CONFIG_HOME": configHome.string,
        ]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath.string))
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// What PID 1 creates at boot in /run/systemd/inaccessible (see systemd's mount-setup.c).
    private static func makeInaccessibleNodes() throws {
        let base = "/run/systemd/inaccessible"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        func node(_ name: String, _ make: (String) -> Int32) throws {
            let path = base + "/" + name
            var st = stat()
            if lstat(path, &st) == 0 { return }
            guard make(path) == 0 else { throw HarnessError(description: "cannot create \(path): errno \(errno)") }
            chmod(path, 0)
        }
        try node("dir") { mkdir($0, 0) }
        try node("reg") { path in
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0)
            if fd >= 0 { close(fd) }
            return fd >= 0 ? 0 : -1
        }
        try node("fifo") { mkfifo($0, 0) }
        try node("chr") { mknod($0, S_IFCHR, 0) }
        try node("blk") { mknod($0, S_IFBLK, 0) }
        try node("sock") { path in
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                let bytes = Array(path.utf8)
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }

    /// Up to 90 s: at the start of a full suite on two cores, dozens of daemons and image writers
    /// run beside this and a user manager has been seen to need more than 30 s.
    private func waitUntilRunning() async throws {
        let deadline = ContinuousClock.now + .seconds(90)
        var last = ""
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw HarnessError(description: "systemd --user exited (\(process.terminationStatus)):\n\(readText(logPath))")
            }
            let state = try await systemctl(["is-system-running"], timeout: .seconds(10))
            last = state.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if last == "running" || last == "degraded" { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError(description: "systemd --user did not become ready (last state '\(last)'):\n\(readText(logPath))")
    }

    /// The environment `systemctl --user` needs to find this manager.
    var environment: [String: String] {
        ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
         "XDG_RUNTIME_DIR": runtime.string, "XDG_CONFIG_HOME": configHome.string, "SYSTEMD_COLORS": "0",
         "SYSTEMD_PAGER": "", "MANPAGER": "cat"]
    }

    /// `systemctl --user ARGS`.
    @discardableResult
    func systemctl(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> CommandResult {
        try await runCommand(Self.systemctlPath, ["--user", "--no-pager"] + arguments, environment: environment, timeout: timeout)
    }

    /// One property of a unit (`systemctl --user show -p NAME --value UNIT`).
    func property(_ unit: String, _ name: String) async throws -> String {
        try await systemctl(["show", "-p", name, "--value", unit], timeout: .seconds(20))
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Several properties at once, for assertions and failure messages.
    func properties(_ unit: String, _ names: [String]) async throws -> [String: String] {
        let shown = try await systemctl(["show", unit] + names.flatMap { ["-p", $0] }, timeout: .seconds(20))
        var values: [String: String] = [:]
        for line in shown.output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// Polls a property until `predicate` holds or the deadline passes; returns the last value.
    func waitFor(_ unit: String, _ name: String, timeout: Duration = .seconds(30),
                 _ predicate: (String) -> Bool) async throws -> (met: Bool, value: String) {
        let deadline = ContinuousClock.now + timeout
        var value = ""
        while true {
            value = try await property(unit, name)
            if predicate(value) { return (true, value) }
            if ContinuousClock.now >= deadline { return (false, value) }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Copies a unit file from the repository into the manager's unit folder, unchanged.
    func install(_ file: FilePath, as name: String? = nil) throws {
        let target = unitDirectory.appending(name ?? file.lastComponent!.string)
        try? FileManager.default.removeItem(atPath: target.string)
        try FileManager.default.copyItem(atPath: file.string, toPath: target.string)
    }

    /// Writes `UNIT.d/NAME.conf`.
    func dropIn(_ unit: String, _ name: String, _ contents: String) throws {
        try writeText(unitDirectory.appending("\(unit).d/\(name).conf"), contents)
    }

    func daemonReload() async throws {
        let reloaded = try await systemctl(["daemon-reload"])
        guard reloaded.status == 0 else { throw HarnessError(description: "daemon-reload failed: \(reloaded)") }
    }

    /// Stops the manager and undoes every change to the machine. Safe to call twice.
    func shutdown() async {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            // Units first, without waiting for graceful drains (what the tests wanted is asserted
            // already): SIGKILL whatever runs under the manager, then ask it to exit.
            if let units = try? await systemctl(["list-units", "--plain", "--no-legend", "--type=service", "upscaled*"],
                                                timeout: .seconds(20)) {
                for line in units.output.split(separator: "\n") {
                    guard let unit = line.split(separator: " ").first else { continue }
                    _ = try? await systemctl(["kill", "--signal=SIGKILL", String(unit)], timeout: .seconds(10))
                    _ = try? await systemctl(["stop", "--no-block", String(unit)], timeout: .seconds(10))
                }
            }
            _ = try? await systemctl(["exit"], timeout: .seconds(20))
            if await !eventually(timeout: .seconds(20), { !process.isRunning }) {
                // The manager is setsid's child and leads its own session and process group.
                let setsid = process.processIdentifier
                let children = readText(FilePath("/proc/\(setsid)/task/\(setsid)/children"))
                for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                    kill(-child, SIGKILL)
                    kill(child, SIGKILL)
                }
                _ = await eventually(timeout: .seconds(10)) { !process.isRunning }
            }
        }
        _ = credentialsMount.withPlatformString { umount2($0, Int32(MNT_DETACH)) }
        HostPreparation.release()
    }

    /// What the manager logged (mostly empty: without journald it has nowhere to log).
    var log: String { readText(logPath) }
}

/// What systemd programs run by the tests add under /run/systemd (a user manager as root, and
/// `systemd-analyze verify`/`security`, which create `systemd-units-load`), recorded before the
/// first user and removed after the last one, so the machine is left as it was found even when
/// suites run in parallel. Paths that existed before are never touched.
enum HostPreparation {
    static let paths = ["/run/systemd/system", "/run/systemd/inaccessible",
                        "/run/systemd/systemd-units-load", "/run/systemd/unit-root"]
    private static let state = Mutex<(users: Int, missing: [String])>((0, []))

    static func acquire() throws {
        state.withLock { state in
            if state.users == 0 {
                state.missing = paths.filter { !FileManager.default.fileExists(atPath: $0) }
            }
            state.users += 1
        }
    }

    static func release() {
        state.withLock { state in
            state.users -= 1
            guard state.users == 0 else { return }
            for path in state.missing.reversed() {
                try? FileManager.default.removeItem(atPath: path)
            }
            state.missing = []
        }
    }

    /// Runs `body` with the machine's /run/systemd recorded first and restored afterwards.
    static func around<T>(_ body: () async throws -> T) async throws -> T {
        try acquire()
        defer { release() }
        return try await body()
    }
}
