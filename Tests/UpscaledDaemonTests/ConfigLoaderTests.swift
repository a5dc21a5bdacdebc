import SystemPackage
import Testing
import UpscaledCore
import UpscaledDaemon
import UpscaledTestSupport

/// `config.toml` in, `DaemonConfig` out, in this process: defaults, the file, the flags, and an
/// error that names the file and the key for everything a user can get wrong.
@Suite struct ConfigLoaderTests {
    let temp = TempDirectory("upscaled-config")
    var environment: [String: String] { ["HOME": temp.path.string] }

    func load(_ toml: String?, overrides: ConfigOverrides = ConfigOverrides()) throws(ConfigError) -> DaemonConfig {
        let file = temp.appending("config.toml")
        if let toml { try? writeFile(file, Array(toml.utf8)) }
        return try ConfigLoader(explicitPath: toml == nil ? nil : file, overrides: overrides).load(environment: environment)
    }

    func message(_ toml: String) -> String {
        do { _ = try load(toml); return "" } catch { return error.message }
    }

    @Test func noFileMeansTheDefaultsOnTildeUpscale() throws {
        let config = try load(nil)
        #expect(config.root == temp.path.appending("Upscale"))
        #expect(config.engineKind == .ai && config.target == .scale(2) && config.afterSuccess == .archive)
    }

    @Test func theFileSetsAndTheFlagsWin() throws {
        var overrides = ConfigOverrides()
        overrides.workers = 3
        let config = try load("""
            root = "~/Pictures/up"
            engine = "local"
            width = 1920
            workers = 1
            ignore_suffixes = [".part"]
            [ai]
            memory_mb = 1024
            """, overrides: overrides)
        #expect(config.root == temp.path.appending("Pictures/up"))
        #expect(config.engineKind == .local && config.target == .fitWidth(1920))
        #expect(config.workers == 3 && config.ignoreSuffixes == [".part"] && config.ai.memoryMB == 1024)
    }

    @Test func aCloudEngineWaitsOnTheNetworkSoItsWorkersAreItsConcurrency() throws {
        #expect(try load("engine = \"fast\"\n[stability]\nconcurrency = 6").workers == 6)
        #expect(try load("engine = \"fast\"\nworkers = 2").workers == 2)                   // unless said
    }

    @Test func mistakesNameTheFileAndTheKey() {
        let file = temp.appending("config.toml").string
        #expect(message("scael = 2").hasPrefix("\(file): unknown key 'scael'"))
        #expect(message("scale = 2\nwidth = 100").contains("set only one of scale, width and height"))
        #expect(message("workers = \"two\"").contains("workers"))
        #expect(message("[ai]\ntile_margin = 999").contains("ai.tile_margin 999 is out of range"))
        #expect(message("after_success = \"keep\"").contains("after_success"))
        #expect(message("engine = 7").contains("engine"))
        #expect(message("scale = = 2").contains("line 1"))
    }

    @Test func thePageListensOnLoopbackWithItsTokenInTheConfigFolderUnlessToldOtherwise() throws {
        let defaults = try load(nil)
        #expect(defaults.web.listen == .tcp(host: "127.0.0.1", port: 8754))
        #expect(defaults.web.tokenFile == temp.path.string + "/.config/upscaled/web-token")
        let set = try load("[web]\nlisten = \"/run/user/1000/upscaled.sock\"\ntoken_file = \"/etc/upscaled/token\"")
        #expect(set.web.listen == .unix(path: "/run/user/1000/upscaled.sock") && set.web.tokenFile == "/etc/upscaled/token")
        var flags = ConfigOverrides()
        flags.webListen = .off
        #expect(try load("[web]\nlisten = \"0.0.0.0:80\"", overrides: flags).web.listen == .off)
        #expect(message("[web]\nlisten = \"8754\"").contains("web.listen '8754' is not an address"))
        #expect(message("[web]\ntoken_file = \"token\"").contains("web.token_file 'token' must be an absolute path"))
        #expect(message("[web]\nport = 1").contains("unknown key 'web.port'"))
        #expect(message("web = 1").contains("'web' must be a table"))
        // A system instance (upscaled@.service) has no home it may write: systemd's state directory.
        let system = try ConfigLoader(explicitPath: nil, overrides: ConfigOverrides())
            .load(environment: environment.merging(["STATE_DIRECTORY": "/var/lib/upscaled/alice"]) { $1 })
        #expect(system.web.tokenFile == "/var/lib/upscaled/alice/web-token")
    }

    @Test func anUnreadableExplicitFileIsAnErrorNotTheDefaults() {
        do {
            _ = try ConfigLoader(explicitPath: temp.appending("missing.toml"), overrides: ConfigOverrides()).load(environment: environment)
            Issue.record("a missing --config file was taken for no file")
        } catch {
            #expect(error.message.contains("cannot read config file \(temp.appending("missing.toml").string)"))
        }
    }
}
