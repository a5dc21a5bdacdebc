import Foundation
import SystemPackage
import TOMLKit
import UpscaledCore
import UpscaledLinux

/// Reads `config.toml` (TOML, through TOMLKit) into a `DaemonConfig`. Unknown keys and wrong
/// types are errors that name the key and the file: a typo must not be silently ignored.
public struct ConfigLoader: Sendable {
    /// The file given with `--config`, or nil for the default location.
    public var explicitPath: FilePath?
    public var overrides: ConfigOverrides

    public init(explicitPath: FilePath?, overrides: ConfigOverrides) {
        self.explicitPath = explicitPath
        self.overrides = overrides
    }

    /// `$XDG_CONFIG_HOME/upscaled/config.toml`, else `~/.config/upscaled/config.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> FilePath {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return FilePath(xdg).appending("upscaled").appending("config.toml")
        }
        return FilePath(homeDirectory(environment)).appending(".config/upscaled/config.toml")
    }

    static func homeDirectory(_ environment: [String: String]) -> String {
        environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    }

    /// The default root, `~/Upscale`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> FilePath {
        FilePath(homeDirectory(environment)).appending("Upscale")
    }

    /// Builds the configuration: defaults, then the file, then the flags; validated.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> DaemonConfig {
        var config = DaemonConfig(root: Self.defaultRoot(environment: environment))
        config.workers = min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
        config.hostID = Self.machineHostID()
        config.web.tokenFile = Self.defaultTokenFile(environment: environment).string
        let path = explicitPath ?? Self.defaultPath(environment: environment)
        let text: String?
        do {
            text = String(decoding: try FileOperations.readAll(path), as: UTF8.self)
        } catch {
            if explicitPath == nil && error.errno == .noSuchFileOrDirectory {
                text = nil                       // no config file: defaults are fine
            } else {
                throw ConfigError("cannot read config file \(path.display): \(error)")
            }
        }
        var keysInFile: Set<String> = []
        if let text {
            keysInFile = try Self.apply(toml: text, file: path.display, to: &config, environment: environment)
        } else if let host = environment["STABILITY_API_HOST"], !host.isEmpty {
            config.stability.host = host
        }
        if !keysInFile.contains("workers"), overrides.workers == nil,
           let kind = EngineKind(name: overrides.engine ?? config.engine), kind.isCloud {
            config.workers = config.stability.concurrency       // cloud jobs wait on the network, not on cores
        }
        overrides.apply(to: &config)
        try config.validate()
        return config
    }

    /// The page's token: in the state directory systemd gives a system instance
    /// (`StateDirectory=`, as `$STATE_DIRECTORY`: its home is hidden there), else beside the
    /// configuration (`$XDG_CONFIG_HOME/upscaled/web-token`).
    static func defaultTokenFile(environment: [String: String]) -> FilePath {
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, state.hasPrefix("/") {
            return FilePath(String(state)).appending("web-token")
        }
        return defaultPath(environment: environment).removingLastComponent().appending("web-token")
    }

    /// The default `host_id`: systemd's machine id (stable across reboots, unique per machine;
    /// a cloned VM keeps its twin's, which is what `host_id` is for), else the host name.
    static func machineHostID(file: FilePath = "/etc/machine-id") -> String {
        let id = (try? FileOperations.readAll(file, limit: 256)).map { String(decoding: $0, as: UTF8.self) }?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if DaemonConfig.isValidHostID(id) { return id }
        let name = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        return DaemonConfig.isValidHostID(name) ? name : "local"
    }

    /// The keys config.toml accepts; docs/upscaled.toml.5.md documents each.
    public static let keys: Set<String> = [
        "root", "engine", "scale", "width", "height", "output_format", "png_compression", "png_filter",
        "jpeg_quality", "webp_quality", "workers", "quiet_window_ms", "after_success", "max_input_pixels",
        "max_output_pixels", "animated", "ignore_suffixes", "log_level", "stability", "watch", "poll_interval_ms",
        "rescan_interval_s", "metrics_textfile", "ai", "host_id", "host_lease_s", "web",
    ]

    /// The keys of `[stability]`.
    public static let stabilityKeys: Set<String> = Set<String>([
        "host", "api_key_file", "organization", "client_id", "client_version", "concurrency", "timeout_s",
        "max_attempts", "retry_base_ms", "poll_s", "creative_deadline_s", "fit_to_limits", "keep_blurred", "cache",
        "requests_per_10s", "lockout_s", "folders",
    ]).union(generationKeys)

    /// The generation keys, allowed in `[stability]` and in each `[stability.folders."NAME"]`.
    public static let generationKeys: Set<String> = [
        "prompt", "negative_prompt", "seed", "creativity", "style_preset", "steps", "cfg_scale",
    ]

    /// Applies a TOML document; returns the top-level keys it set.
    @discardableResult
    public static func apply(toml text: String, file: String, to config: inout DaemonConfig,
                             environment: [String: String] = [:]) throws(ConfigError) -> Set<String> {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigError("\(file): line \(error.source.begin.line): \(error.description)")
        } catch {
            throw ConfigError("\(file): \(error)")
        }
        for key in table.keys where !keys.contains(key) {
            throw ConfigError("\(file): unknown key '\(key)'; known keys: \(keys.sorted().joined(separator: ", "))")
        }
        let reader = TableReader(table: table, file: file, prefix: "")
        func string(_ key: String) throws(ConfigError) -> String? { try reader.string(key) }
        func int(_ key: String) throws(ConfigError) -> Int? { try reader.int(key) }
        func bool(_ key: String) throws(ConfigError) -> Bool? { try reader.bool(key) }
        func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ConfigError) -> T?
        where T.RawValue == String, T: CaseIterable { try reader.choice(key, type) }

        if let root = try string("root") {
            let expanded = root.hasPrefix("~/") ? homeDirectory(environment) + root.dropFirst(1) : root
            config.root = FilePath(expanded)
        }
        if let engine = try string("engine") { config.engine = engine }
        let sizing = ["scale", "width", "height"].filter { table[$0] != nil }
        if sizing.count > 1 { throw ConfigError("\(file): set only one of scale, width and height") }
        if let value = table["scale"] {
            guard let scale = value.double ?? value.int.map(Double.init) else {
                throw ConfigError("\(file): 'scale' must be a number from 2 to 8")
            }
            config.target = .scale(scale)
        }
        if let width = try int("width") { config.target = .fitWidth(width) }
        if let height = try int("height") { config.target = .fitHeight(height) }
        if let format = try choice("output_format", OutputFormat.self) { config.outputFormat = format }
        if let level = try int("png_compression") { config.pngCompression = level }
        if let filter = try bool("png_filter") { config.pngFilterAll = filter }
        if let q = try int("jpeg_quality") { config.jpegQuality = q }
        if let q = try int("webp_quality") { config.webpQuality = q }
        if let workers = try int("workers") { config.workers = workers }
        if let window = try int("quiet_window_ms") { config.quietWindowMilliseconds = window }
        if let after = try choice("after_success", DaemonConfig.AfterSuccess.self) { config.afterSuccess = after }
        if let limit = try int("max_input_pixels") { config.maxInputPixels = limit }
        if let limit = try int("max_output_pixels") { config.maxOutputPixels = limit }
        if let animated = try choice("animated", DaemonConfig.Animated.self) { config.animated = animated }
        if let level = try string("log_level") { config.logLevel = level }
        if let mode = try choice("watch", WatchMode.self) { config.watch = mode }
        if let interval = try int("poll_interval_ms") { config.pollIntervalMilliseconds = interval }
        if let interval = try int("rescan_interval_s") { config.rescanIntervalSeconds = interval }
        if let path = try string("metrics_textfile") { config.metricsTextfile = path.isEmpty ? nil : path }
        if let host = try string("host_id") { config.hostID = host }
        if let lease = try int("host_lease_s") { config.hostLeaseSeconds = lease }
        if let value = table["stability"] {
            guard let stability = value.table else { throw ConfigError("\(file): 'stability' must be a table ([stability])") }
            try applyStability(stability, file: file, to: &config.stability)
        }
        if let host = environment["STABILITY_API_HOST"], !host.isEmpty { config.stability.host = host }
        if let value = table["ai"] {
            guard let ai = value.table else { throw ConfigError("\(file): 'ai' must be a table ([ai])") }
            try applyAI(ai, file: file, to: &config.ai)
        }
        if let value = table["web"] {
            guard let web = value.table else { throw ConfigError("\(file): 'web' must be a table ([web])") }
            try applyWeb(web, file: file, to: &config.web)
        }
        if let value = table["ignore_suffixes"] {
            guard let array = value.array else { throw ConfigError("\(file): 'ignore_suffixes' must be an array of strings") }
            var suffixes: [String] = []
            for element in array {
                guard let text = element.string else { throw ConfigError("\(file): 'ignore_suffixes' must be an array of strings") }
                suffixes.append(text)
            }
            config.ignoreSuffixes = suffixes
        }
        return Set(table.keys)
    }
}

extension ConfigLoader {
    static func applyStability(_ table: TOMLTable, file: String, to s: inout StabilityConfig) throws(ConfigError) {
        for key in table.keys where !stabilityKeys.contains(key) {
            throw ConfigError("\(file): unknown key 'stability.\(key)'; known keys: \(stabilityKeys.sorted().joined(separator: ", "))")
        }
        let reader = TableReader(table: table, file: file, prefix: "stability.")
        if let v = try reader.string("host") { s.host = v }
        if let v = try reader.string("api_key_file") { s.apiKeyFile = v }
        if let v = try reader.string("organization") { s.organization = v }
        if let v = try reader.string("client_id") { s.clientID = v }
        if let v = try reader.string("client_version") { s.clientVersion = v }
        if let v = try reader.int("concurrency") { s.concurrency = v }
        if let v = try reader.int("timeout_s") { s.timeoutSeconds = v }
        if let v = try reader.int("max_attempts") { s.maxAttempts = v }
        if let v = try reader.int("retry_base_ms") { s.retryBaseMilliseconds = v }
        if let v = try reader.int("poll_s") { s.pollSeconds = v }
        if let v = try reader.int("creative_deadline_s") { s.creativeDeadlineSeconds = v }
        if let v = try reader.bool("fit_to_limits") { s.fitToLimits = v }
        if let v = try reader.bool("keep_blurred") { s.keepBlurred = v }
        if let v = try reader.bool("cache") { s.cache = v }
        if let v = try reader.int("requests_per_10s") { s.requestsPer10Seconds = v }
        if let v = try reader.int("lockout_s") { s.lockoutSeconds = v }
        s.generation = try generation(reader)
        if let value = table["folders"] {
            guard let folders = value.table else { throw ConfigError("\(file): 'stability.folders' must be a table") }
            for name in folders.keys {
                guard let folder = folders[name]?.table else {
                    throw ConfigError("\(file): 'stability.folders.\(name)' must be a table")
                }
                for key in folder.keys where !generationKeys.contains(key) {
                    throw ConfigError("\(file): unknown key 'stability.folders.\(name).\(key)'; a folder can set: \(generationKeys.sorted().joined(separator: ", "))")
                }
                s.folders[name] = try generation(TableReader(table: folder, file: file, prefix: "stability.folders.\(name)."))
            }
        }
    }

    static func generation(_ r: TableReader) throws(ConfigError) -> StabilityConfig.Generation {
        var g = StabilityConfig.Generation()
        g.prompt = try r.string("prompt")
        g.negativePrompt = try r.string("negative_prompt")
        if let seed = try r.int("seed") {
            guard (0...Int(UInt32.max)).contains(seed) else { throw ConfigError("\(r.file): '\(r.prefix)seed' must be 0 to 4294967294") }
            g.seed = UInt32(seed)
        }
        g.creativity = try r.double("creativity")
        g.stylePreset = try r.string("style_preset")
        g.steps = try r.int("steps")
        g.cfgScale = try r.double("cfg_scale")
        return g
    }
}

/// Typed reads from one TOML table, with errors naming the full key.
struct TableReader {
    let table: TOMLTable
    let file: String
    let prefix: String

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw ConfigError("\(file): '\(prefix)\(key)' must be a string") }
        return text
    }

    func int(_ key: String) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw ConfigError("\(file): '\(prefix)\(key)' must be an integer") }
        return number
    }

    func double(_ key: String) throws(ConfigError) -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else {
            throw ConfigError("\(file): '\(prefix)\(key)' must be a number")
        }
        return number
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw ConfigError("\(file): '\(prefix)\(key)' must be true or false") }
        return flag
    }

    /// One of an enum's raw values; the error lists them all.
    func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ConfigError) -> T?
    where T.RawValue == String, T: CaseIterable {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw ConfigError("\(file): '\(prefix)\(key)' is '\(text)'; use one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
