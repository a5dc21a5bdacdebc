import Foundation
import Glibc
import SystemPackage

/// One daemon under test: a temp home with `Upscale/` as the root, a real NOTIFY_SOCKET, and
/// the built binary running as a subprocess.
public final class DaemonHarness: @unchecked Sendable {
    // @unchecked: the stored properties are immutable after init except `daemon` and the last
    // arguments, which only `start` writes, and a test starts a harness's daemon from one task
    // at a time; the classes they refer to (DaemonProcess, NotifySocket, TempDirectory) are
    // themselves safe to share.
    public let home: TempDirectory
    public let root: FilePath
    public let socket: NotifySocket
    public private(set) var daemon: DaemonProcess?
    private var lastArguments: [String] = []
    private var lastEnvironment: [String: String] = [:]

    public init() throws {
        home = TempDirectory("upscaled-it")
        root = home.path.appending("Upscale")
        socket = try NotifySocket(directory: home.path)
        hostID = Self.hostID
        mountpoint = nil
        launcher = []
    }

    /// A second daemon on `other`'s root, as another machine on a shared folder would be: its
    /// own home and NOTIFY_SOCKET, its own `host_id`.
    public init(sharingRootOf other: DaemonHarness, hostID: String) throws {
        home = TempDirectory("upscaled-it")
        root = other.root
        socket = try NotifySocket(directory: home.path)
        self.hostID = hostID
        mountpoint = nil
        launcher = []
    }

    /// Another machine on a shared folder, for real: the daemon runs in its own mount namespace
    /// and reaches the folder `shared` through its own FUSE mount (`SeparateHost`), so what
    /// other hosts write there produces no inotify event for it, as on NFS. `root` and the
    /// paths below are the shared folder's own, for the test to look at.
    public init(separateHostOn shared: FilePath, hostID: String) throws {
        home = TempDirectory("upscaled-it")
        root = shared.appending("Upscale")
        socket = try NotifySocket(directory: home.path)
        self.hostID = hostID
        let mountpoint = home.path.appending("mnt")
        try FileManager.default.createDirectory(atPath: mountpoint.string, withIntermediateDirectories: true)
        self.mountpoint = mountpoint
        launcher = SeparateHost.launcher(shared: shared, mountpoint: mountpoint)
    }

    deinit {
        // A separate host's bindfs outlives its daemon: the daemon first, then its mount.
        if let mountpoint {
            daemon?.signal(SIGKILL)
            _ = daemon?.process.waitUntilExit()
            SeparateHost.unmount(mountpoint)
        }
    }

    /// The `--host-id` this harness's daemon runs as.
    public let hostID: String
    /// Where a separate host's daemon sees the shared folder (inside its mount namespace only).
    public let mountpoint: FilePath?
    private let launcher: [String]

    public var inbox: FilePath { root.appending("inbox") }
    public var outbox: FilePath { root.appending("outbox") }
    public var archive: FilePath { root.appending("archive") }
    public var failed: FilePath { root.appending("failed") }
    public var quarantine: FilePath { root.appending("quarantine") }
    /// The host id every daemon of this harness runs as (`--host-id`, unless a test gives one).
    public static let hostID = "harness"
    public var hostState: FilePath { root.appending("inbox/.upscaled/hosts/\(hostID)") }
    public var claims: FilePath { hostState.appending("claims") }
    public var journal: FilePath { hostState.appending("journal") }
    public var statusFile: FilePath { hostState.appending("status.json") }

    /// Starts `upscaled run --root ROOT ARGS` and waits for READY=1. The pipeline's tests run the
    /// fast local engine unless they name one (`--engine ai` for the AI engine's own tests).
    @discardableResult
    public func start(_ arguments: [String] = [], environment: [String: String] = [:],
                      waitForReady: Bool = true) async throws -> DaemonProcess {
        lastArguments = arguments
        lastEnvironment = environment
        var env = ["NOTIFY_SOCKET": socket.path]
        env.merge(environment) { _, new in new }
        let quiet = arguments.contains("--quiet-window-ms") ? [] : ["--quiet-window-ms", "300"]
        let engine = arguments.contains("--engine") || arguments.contains("--config") ? [] : ["--engine", "local"]
        let host = arguments.contains("--host-id") ? [] : ["--host-id", hostID]
        // Many daemons run at once under test: the page only where a test asks for it.
        let web = arguments.contains("--web-listen") ? [] : ["--web-listen", "off"]
        // A separate host's daemon sees the root through its own mount; the last one's is gone.
        if let mountpoint { SeparateHost.unmount(mountpoint) }
        let seenRoot = mountpoint.map { $0.appending("Upscale") } ?? root
        let process = try DaemonProcess(["run", "--root", seenRoot.string] + quiet + engine + host + web + arguments,
                                        home: home.path, environment: env, launcher: launcher)
        daemon = process
        if waitForReady {
            let before = socket.received.filter { $0.contains("READY=1") }.count
            let ready = await eventually(timeout: .seconds(60)) {
                socket.received.filter { $0.contains("READY=1") }.count > before || !process.process.isRunning
            }
            guard ready, process.process.isRunning else {
                throw HarnessError(description: "the daemon did not become ready:\n\(process.log)")
            }
        }
        return process
    }

    /// Starts again with the arguments and environment of the last `start`.
    @discardableResult
    public func restart() async throws -> DaemonProcess {
        try await start(lastArguments, environment: lastEnvironment)
    }

    /// Sends SIGTERM and waits for the exit status.
    public func stop() async -> Int32? {
        guard let daemon else { return nil }
        daemon.signal(SIGTERM)
        return await daemon.waitForExit()
    }

    /// Makes a file outside the inbox and renames it in (atomic arrival), like `mv`.
    public func drop(_ name: String, _ make: (FilePath) throws -> Void) throws {
        // Beside the inbox (same filesystem, so the final rename is atomic), hidden from listings.
        let staging = root.appending(".test-staging")
        try FileManager.default.createDirectory(atPath: staging.string, withIntermediateDirectories: true)
        let source = staging.appending(UUID().uuidString + "-" + (FilePath(name).lastComponent?.string ?? "x"))
        try make(source)
        let target = inbox.appending(name)
        var parent = target
        parent.removeLastComponent()
        try FileManager.default.createDirectory(atPath: parent.string, withIntermediateDirectories: true)
        guard rename(source.string, target.string) == 0 else {
            throw HarnessError(description: "rename into the inbox failed: \(errno)")
        }
    }

    /// Every regular file under the root, except our own state, relative and sorted.
    public var everything: [String] { listFiles(root) }
}

public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
