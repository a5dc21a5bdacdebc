import SystemPackage

/// Everything the daemon can be told, with the defaults a newcomer gets. Built from the TOML
/// file and then the command-line flags (flags win); `validate()` gives one clear message.
public struct DaemonConfig: Sendable, Equatable {
    /// What happens to an original once its result is durable in the outbox.
    public enum AfterSuccess: String, Sendable, Codable, CaseIterable { case archive, delete }
    /// What to do with an animated GIF or WebP: refuse it, or upscale its first frame.
    public enum Animated: String, Sendable, Codable, CaseIterable {
        case refuse
        case firstFrame = "first-frame"
    }

    public var root: FilePath
    /// The offline AI engine by default: what people drop files into an upscaler for. `local`
    /// (bicubic) stays the fast choice.
    public var engine: String = "ai"
    public var target: UpscaleTarget = .scale(2)
    public var outputFormat: OutputFormat = .png
    /// zlib level 0–9 for PNG results. 1 with all row filters is the measured sweet spot
    /// (docs/PERFORMANCE.md): about ImageMagick's size at a fraction of its time.
    public var pngCompression: Int = 1
    public var pngFilterAll: Bool = true
    public var jpegQuality: Int = 92
    public var webpQuality: Int = 90
    public var workers: Int = 2
    /// How long a file written in place must stay unchanged before it is taken, in milliseconds.
    public var quietWindowMilliseconds: Int = 1000
    public var afterSuccess: AfterSuccess = .archive
    /// Inputs whose header declares more pixels than this are refused before decoding.
    public var maxInputPixels: Int = 50_000_000
    /// Results larger than this are refused before any work (a 2x of the largest input is 4x pixels).
    public var maxOutputPixels: Int = 400_000_000
    public var animated: Animated = .refuse
    public var ignoreSuffixes: [String] = []
    public var logLevel: String = "info"
    /// inotify, polling, or chosen by the inbox's filesystem.
    public var watch: WatchMode = .auto
    /// How often a polled inbox is scanned, in milliseconds.
    public var pollIntervalMilliseconds: Int = 2000
    /// A full safety rescan in inotify mode every this many seconds (0: never). Cheap: one
    /// directory walk, and every file found is merged with what is already known.
    public var rescanIntervalSeconds: Int = 3600
    /// Prometheus text metrics written to this file (for node_exporter's textfile collector);
    /// nil: no metrics (the default).
    public var metricsTextfile: String?
    /// The Stability AI engines' settings.
    public var stability = StabilityConfig()
    /// The offline AI engine's settings.
    public var ai = AIConfig()
    /// Who this daemon is among several on one shared root (`host_id`): its journal and claims
    /// live under `inbox/.upscaled/hosts/<host_id>/`, and no other daemon replays them. The
    /// config loader sets it from /etc/machine-id unless the file or `--host-id` says.
    public var hostID: String = "local"
    /// `host_lease_s`: how long another host on the root may stay silent (no heartbeat, by the
    /// file server's mtimes) while it holds claims before it counts as dead and a survivor takes
    /// its work over. Longer than any pause a live host could take (a suspended laptop is dead
    /// for this purpose: its files are finished elsewhere).
    public var hostLeaseSeconds: Int = 300
    /// The page and its API (`[web]`): on by default on loopback, every request needs the token.
    public var web = WebConfig()

    public var engineKind: EngineKind { EngineKind(name: engine) ?? .ai }

    public init(root: FilePath) {
        self.root = root
    }

    public static let engines = ["ai", "local", "fast", "conservative", "creative", "esrgan-v1-x2plus",
                                 "stable-diffusion-x4-latent-upscaler", "(any other v1 engine id)"]
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// The folders under the root.
    public var inbox: FilePath { root.appending("inbox") }
    public var outbox: FilePath { root.appending("outbox") }
    public var quarantine: FilePath { root.appending("quarantine") }
    public var failed: FilePath { root.appending("failed") }
    public var archive: FilePath { root.appending("archive") }
    /// Our private state: on the inbox's own filesystem, so a claim is one `rename(2)`.
    public var stateDirectory: FilePath { inbox.appending(".upscaled") }
    /// Every host's own state folder lives here, one per `host_id`.
    public var hostsDirectory: FilePath { stateDirectory.appending("hosts") }
    /// This host's own state: nobody else moves, replays or deletes what is in it.
    public var hostDirectory: FilePath { hostsDirectory.appending(hostID) }
    public var claims: FilePath { hostDirectory.appending("claims") }
    public var journal: FilePath { hostDirectory.appending("journal") }
    public var statusFile: FilePath { hostDirectory.appending("status.json") }
    /// Rewritten every few seconds while this host holds claims: its sign of life.
    public var heartbeatFile: FilePath { hostDirectory.appending("heartbeat") }
    /// Dead hosts' folders this host has taken over, each renamed in whole, replayed, then removed.
    public var takenDirectory: FilePath { hostDirectory.appending("taken") }
    /// Where versions before per-host state kept the journal and claims (shared by every host):
    /// a start adopts what is there, each record by one rename, so exactly one host takes it.
    public var legacyClaims: FilePath { stateDirectory.appending("claims") }
    public var legacyJournal: FilePath { stateDirectory.appending("journal") }

    /// The same configuration as another host on the root has it: its folders, from the one
    /// definition above.
    public func asHost(_ id: String) -> DaemonConfig {
        var other = self
        other.hostID = id
        return other
    }

    /// What `host_id` may be: a folder name that means the same on every filesystem.
    public static func isValidHostID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && !id.hasPrefix(".")
            && id.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E || c == 0x5F
            }
    }

    /// Checks every value and names the key and the accepted range when one is wrong.
    public func validate() throws(ConfigError) {
        guard let kind = EngineKind(name: engine) else {
            throw ConfigError("engine '\(engine)' is not known; use one of: \(Self.engines.joined(separator: ", "))")
        }
        try validateStability(kind)
        try ai.validate()
        guard Self.isValidHostID(hostID) else {
            throw ConfigError("host_id '\(hostID)' is not usable; use 1 to 64 letters, digits, '.', '-' or '_', not starting with '.' (each daemon on a shared root needs its own)")
        }
        guard (5...86_400).contains(hostLeaseSeconds) else {
            throw ConfigError("host_lease_s \(hostLeaseSeconds) is out of range; use 5 to 86400 (seconds another host may stay silent while it holds claims)")
        }
        switch target {
        case .scale(let s):
            guard UpscaleTarget.scaleRange.contains(s) else {
                throw ConfigError("scale \(s) is out of range; use a factor from 2 to 8")
            }
        case .fitWidth(let w):
            guard (1...100_000).contains(w) else { throw ConfigError("width \(w) is out of range; use 1 to 100000") }
        case .fitHeight(let h):
            guard (1...100_000).contains(h) else { throw ConfigError("height \(h) is out of range; use 1 to 100000") }
        }
        guard (0...9).contains(pngCompression) else { throw ConfigError("png_compression \(pngCompression) is out of range; use 0 to 9") }
        guard (1...100).contains(jpegQuality) else { throw ConfigError("jpeg_quality \(jpegQuality) is out of range; use 1 to 100") }
        guard (1...100).contains(webpQuality) else { throw ConfigError("webp_quality \(webpQuality) is out of range; use 1 to 100") }
        guard (1...64).contains(workers) else { throw ConfigError("workers \(workers) is out of range; use 1 to 64") }
        guard (0...3_600_000).contains(quietWindowMilliseconds) else {
            throw ConfigError("quiet_window_ms \(quietWindowMilliseconds) is out of range; use 0 to 3600000")
        }
        guard (100...3_600_000).contains(pollIntervalMilliseconds) else {
            throw ConfigError("poll_interval_ms \(pollIntervalMilliseconds) is out of range; use 100 to 3600000")
        }
        guard rescanIntervalSeconds == 0 || (10...604_800).contains(rescanIntervalSeconds) else {
            throw ConfigError("rescan_interval_s \(rescanIntervalSeconds) is out of range; use 0 (off) or 10 to 604800")
        }
        guard maxInputPixels > 0 else { throw ConfigError("max_input_pixels must be positive") }
        guard maxOutputPixels > 0 else { throw ConfigError("max_output_pixels must be positive") }
        guard Self.logLevels.contains(logLevel) else {
            throw ConfigError("log_level '\(logLevel)' is not known; use one of: \(Self.logLevels.joined(separator: ", "))")
        }
        guard !root.isEmpty else { throw ConfigError("root must not be empty") }
    }
}

/// A configuration or command-line mistake, said in one line.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension DaemonConfig {
    func validateStability(_ kind: EngineKind) throws(ConfigError) {
        let s = stability
        guard kind.isCloud else { return }
        guard s.host.hasPrefix("https://") || s.host.hasPrefix("http://") else {
            throw ConfigError("stability.host '\(s.host)' must start with https:// (or http:// for a local test server)")
        }
        guard (1...64).contains(s.concurrency) else { throw ConfigError("stability.concurrency \(s.concurrency) is out of range; use 1 to 64") }
        guard (1...3600).contains(s.timeoutSeconds) else { throw ConfigError("stability.timeout_s \(s.timeoutSeconds) is out of range; use 1 to 3600") }
        guard (1...20).contains(s.maxAttempts) else { throw ConfigError("stability.max_attempts \(s.maxAttempts) is out of range; use 1 to 20") }
        guard (1...600_000).contains(s.retryBaseMilliseconds) else {
            throw ConfigError("stability.retry_base_ms \(s.retryBaseMilliseconds) is out of range; use 1 to 600000")
        }
        guard s.pollSeconds >= 10 else {
            throw ConfigError("stability.poll_s \(s.pollSeconds) is too fast; the API asks for no more than one poll every 10 s")
        }
        guard (10...86_400).contains(s.creativeDeadlineSeconds) else {
            throw ConfigError("stability.creative_deadline_s \(s.creativeDeadlineSeconds) is out of range; use 10 to 86400 (results live 24 h)")
        }
        guard (1...150).contains(s.requestsPer10Seconds) else {
            throw ConfigError("stability.requests_per_10s \(s.requestsPer10Seconds) is out of range; the API allows at most 150")
        }
        guard s.lockoutSeconds >= 60 else {
            throw ConfigError("stability.lockout_s \(s.lockoutSeconds) is shorter than the API's 60 s lock-out after a 429")
        }
        for (name, g) in [("", s.generation)] + s.folders.map({ (" (folder \($0.key))", $0.value) }) {
            let merged = s.generation.overlaid(with: g)
            if let c = merged.creativity {
                let range: ClosedRange<Double> = kind == .conservative ? 0.2...0.5 : 0.1...0.5
                if kind == .conservative || kind == .creative, !range.contains(c) {
                    throw ConfigError("stability.creativity\(name) \(c) is out of range for \(kind.name); use \(range.lowerBound) to \(range.upperBound)")
                }
            }
            if let preset = merged.stylePreset, !StabilityConfig.stylePresets.contains(preset) {
                throw ConfigError("stability.style_preset\(name) '\(preset)' is not known; use one of: \(StabilityConfig.stylePresets.sorted().joined(separator: ", "))")
            }
            if let p = merged.prompt, p.count > 10_000 { throw ConfigError("stability.prompt\(name) is longer than 10000 characters") }
            if let p = merged.negativePrompt, p.count > 10_000 { throw ConfigError("stability.negative_prompt\(name) is longer than 10000 characters") }
            if kind == .conservative || kind == .creative, (merged.prompt ?? "").isEmpty {
                throw ConfigError("the \(kind.name) engine needs a prompt: set stability.prompt\(name) in config.toml")
            }
            if let seed = merged.seed, seed == UInt32.max, kind == .fast || kind == .conservative || kind == .creative {
                throw ConfigError("stability.seed\(name) \(seed) is out of range; v2beta takes 0 to 4294967294")
            }
            if let steps = merged.steps, !(10...50).contains(steps) { throw ConfigError("stability.steps\(name) \(steps) is out of range; use 10 to 50") }
            if let cfg = merged.cfgScale, !(0...35).contains(cfg) { throw ConfigError("stability.cfg_scale\(name) \(cfg) is out of range; use 0 to 35") }
        }
    }
}
