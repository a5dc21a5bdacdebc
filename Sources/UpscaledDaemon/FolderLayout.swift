import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The folders under the root, created and checked at start so a wrong root or a permission
/// problem is one clear message before anything is touched.
public struct FolderLayout: Sendable {
    public let root: FilePath
    public let inbox: FilePath
    public let outbox: FilePath
    public let quarantine: FilePath
    public let failed: FilePath
    public let archive: FilePath
    public let claims: FilePath
    public let journal: FilePath
    public let statusFile: FilePath
    public let cache: FilePath
    /// The page's thumbnails (`Thumbnailer`), shared by every host on the root.
    public let thumbnails: FilePath
    /// The engines retries from the page asked for (`EngineOverride`), shared by every host.
    public let engineOverrides: FilePath
    /// Who we are on a shared root, and where every host keeps its own state.
    public let hostID: String
    public let hosts: FilePath
    /// Held (flock) by the one daemon running as this host on this root.
    public let hostLock: FilePath
    /// This host's sign of life, rewritten while it holds claims (`HostHeartbeat`).
    public let heartbeat: FilePath
    /// Dead hosts' folders this host took over and has yet to finish replaying.
    public let taken: FilePath
    /// The shared journal and claims folders of versions before per-host state.
    public let legacyJournal: FilePath
    public let legacyClaims: FilePath
    private let config: DaemonConfig

    public init(config: DaemonConfig) {
        root = config.root
        inbox = config.inbox
        outbox = config.outbox
        quarantine = config.quarantine
        failed = config.failed
        archive = config.archive
        claims = config.claims
        journal = config.journal
        statusFile = config.statusFile
        cache = config.stateDirectory.appending("cache")
        thumbnails = config.stateDirectory.appending("thumbs")
        engineOverrides = config.stateDirectory.appending("engine-overrides")
        hostID = config.hostID
        hosts = config.hostsDirectory
        hostLock = config.hostDirectory.appending("lock")
        heartbeat = config.heartbeatFile
        taken = config.takenDirectory
        legacyJournal = config.legacyJournal
        legacyClaims = config.legacyClaims
        self.config = config
    }

    /// The folders of another host on this root (its journal, claims, status).
    public func ofHost(_ id: String) -> FolderLayout { FolderLayout(config: config.asHost(id)) }

    /// The tag of this host's write probes' temps (`TempFile`), swept from the outbox at start.
    public var probeTag: String { "probe-\(hostID)" }

    /// This host's own folder under `hosts/`.
    public var hostFolder: FilePath { hosts.appending(hostID) }

    /// The other hosts that have a folder on this root, sorted.
    public func otherHostIDs() -> [String] {
        Self.visibleEntries(hosts).map(\.name.string).filter { $0 != hostID }.sorted()
    }

    /// Creates every folder (mode 0755; our state folder 0700) and checks each is writable.
    public func prepare() throws(ConfigError) {
        for folder in [inbox, outbox, quarantine, failed, archive] {
            do {
                try FileOperations.makeDirectories(folder)
                try FileOperations.checkWritable(folder)
            } catch {
                throw ConfigError("cannot use folder \(folder.display): \(error)")
            }
        }
        try prepareHostState()
    }

    /// Creates this host's own state folders (mode 0700): at start, and again once the host
    /// lock is held, since a survivor that took this host's folder over just before took them.
    public func prepareHostState() throws(ConfigError) {
        for folder in [claims, journal] {
            do {
                try FileOperations.makeDirectories(folder, mode: 0o700)
                try FileOperations.checkWritable(folder)
            } catch {
                throw ConfigError("cannot create the state folder \(folder.display): \(error)")
            }
        }
    }

    /// `base/relative`, where `relative` may be empty.
    func join(_ base: FilePath, _ relative: FilePath) -> FilePath {
        relative.isEmpty ? base : base.appending(relative.components)
    }

    /// A root-relative rendering for logs and journal records.
    func rootRelative(_ path: FilePath) -> FilePath {
        var copy = path
        if copy.removePrefix(root) { return copy }
        return path
    }
}
