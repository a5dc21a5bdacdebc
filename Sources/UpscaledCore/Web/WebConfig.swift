/// Where the page listens and where its token lives (`[web]` in config.toml).
public struct WebConfig: Sendable, Equatable {
    /// `web.listen`: a TCP address, a Unix socket path, or off.
    public enum Listen: Sendable, Equatable, CustomStringConvertible {
        case off
        /// Port 0 asks the kernel for a free port (the address chosen is in the status file).
        case tcp(host: String, port: Int)
        case unix(path: String)

        public static let defaultPort = 8754

        /// `off`, `/path/to/socket`, `host:port` or `[v6]:port`; nil when it is none of these.
        public init?(parsing text: String) {
            let text = text.trimmingSpaces
            if text == "off" { self = .off; return }
            if text.hasPrefix("/") { self = .unix(path: text); return }
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                  (0...65535).contains(port) else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, !host.contains("/"), host.allSatisfy({ !$0.isWhitespace }),
                  host.contains(":") == text[..<colon].hasPrefix("[") else { return nil }
            self = .tcp(host: host, port: port)
        }

        /// Only loopback is private to this machine's users; anything else must be asked for.
        public var isLoopback: Bool {
            guard case .tcp(let host, _) = self else { return false }
            return host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }

        public var description: String {
            switch self {
            case .off: return "off"
            case .unix(let path): return path
            case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            }
        }
    }

    public var listen: Listen = .tcp(host: "127.0.0.1", port: Listen.defaultPort)
    /// The file holding the token every request needs; empty until the loader sets its default
    /// (`$XDG_CONFIG_HOME/upscaled/web-token`).
    public var tokenFile: String = ""

    public init() {}
}

fileprivate extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
