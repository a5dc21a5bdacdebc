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
        if let text { try Self.apply(toml: text, file: path.display, to: &config, environment: environment) }
        overrides.apply(to: &config)
        try config.validate()
        return config
    }

    /// The keys config.toml accepts; docs/upscaled.toml.5.md documents each.
    public static let keys: Set<String> = [
        "root", "engine", "scale", "width", "height", "output_format", "png_compression", "png_filter",
        "jpeg_quality", "webp_quality", "workers", "quiet_window_ms", "after_success", "max_input_pixels",
        "max_output_pixels", "animated", "ignore_suffixes", "log_level",
    ]

    public static func apply(toml text: String, file: String, to config: inout DaemonConfig,
                             environment: [String: String] = [:]) throws(ConfigError) {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigError("\(file): line \(error.source.begin.line): \(error.description)")
        } catch {
            throw ConfigError("\(file): \(error)")
        }
        for key in table.keys where !keys.contains(key) {
            throw ConfigError("\(file): unknown key '\(key)'; known keys: \(keys.sorted().joined(separator: ", "))")
        }
        func string(_ key: String) throws(ConfigError) -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw ConfigError("\(file): '\(key)' must be a string") }
            return text
        }
        func int(_ key: String) throws(ConfigError) -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else { throw ConfigError("\(file): '\(key)' must be an integer") }
            return number
        }
        func bool(_ key: String) throws(ConfigError) -> Bool? {
            guard let value = table[key] else { return nil }
            guard let flag = value.bool else { throw ConfigError("\(file): '\(key)' must be true or false") }
            return flag
        }
        func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ConfigError) -> T?
        where T.RawValue == String, T: CaseIterable {
            guard let text = try string(key) else { return nil }
            guard let value = T(rawValue: text) else {
                throw ConfigError("\(file): '\(key)' is '\(text)'; use one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }

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
        if let value = table["ignore_suffixes"] {
            guard let array = value.array else { throw ConfigError("\(file): 'ignore_suffixes' must be an array of strings") }
            var suffixes: [String] = []
            for element in array {
                guard let text = element.string else { throw ConfigError("\(file): 'ignore_suffixes' must be an array of strings") }
                suffixes.append(text)
            }
            config.ignoreSuffixes = suffixes
        }
    }
}
