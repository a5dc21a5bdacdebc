import TOMLKit
import UpscaledCore

extension ConfigLoader {
    /// The keys of `[web]`; upscaled.toml(5) documents each.
    public static let webKeys: Set<String> = ["listen", "token_file"]

    static func applyWeb(_ table: TOMLTable, file: String, to web: inout WebConfig) throws(ConfigError) {
        for key in table.keys where !webKeys.contains(key) {
            throw ConfigError("\(file): unknown key 'web.\(key)'; known keys: \(webKeys.sorted().joined(separator: ", "))")
        }
        let reader = TableReader(table: table, file: file, prefix: "web.")
        if let text = try reader.string("listen") {
            guard let listen = WebConfig.Listen(parsing: text) else {
                throw ConfigError("\(file): web.listen '\(text)' is not an address; use \"127.0.0.1:8754\", \"[::1]:8754\", "
                                  + "\"0.0.0.0:8754\" (every network: the token is then all that protects it), a Unix socket path, or \"off\"")
            }
            web.listen = listen
        }
        if let path = try reader.string("token_file") {
            guard path.hasPrefix("/") else { throw ConfigError("\(file): web.token_file '\(path)' must be an absolute path") }
            web.tokenFile = path
        }
    }
}
