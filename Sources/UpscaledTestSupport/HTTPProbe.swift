import Foundation
import Glibc
import NIOPosix

/// A deliberately plain HTTP/1.1 client for the page's tests: every byte of the request is the
/// test's (a `Host` a rebinding page would send, a path with `..`, no `Origin`), one request per
/// connection, and the answer read until the server closes.
public struct HTTPProbe: Sendable {
    public let port: Int
    /// A Unix socket to connect to instead of 127.0.0.1:port.
    public let socketPath: String?

    public init(port: Int) {
        self.port = port
        socketPath = nil
    }

    public init(socketPath: String) {
        port = 0
        self.socketPath = socketPath
    }

    /// The port of an address such as `http://127.0.0.1:40693`.
    public init?(address: String) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        self.port = port
        socketPath = nil
    }

    public struct Answer: Sendable, CustomStringConvertible {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
        public var description: String { "HTTP \(status) \(text.prefix(300))" }
    }

    /// Sends `method path` with `headers` (`Host` is 127.0.0.1:port unless given) and `body`,
    /// from a thread of NIO's pool: a slow answer (or a connect waiting on a full backlog) never
    /// blocks the cooperative pool that every other test's polling shares.
    public func send(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) async throws -> Answer {
        try await NIOThreadPool.singleton.runIfActive { try self.exchange(method, path, headers: headers, body: body) }
    }

    /// Connects `fd` to 127.0.0.1:`port`: connect(2)'s result.
    public static func connectLoopback(_ fd: CInt, port: Int) -> CInt {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// The same, blocking the calling thread (for a `deinit`).
    public func exchange(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> Answer {
        let fd = socket(socketPath == nil ? AF_INET : AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError(description: "socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected: CInt
        if let socketPath {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
            }
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        } else {
            connected = Self.connectLoopback(fd, port: port)
        }
        guard connected == 0 else { throw HarnessError(description: "connect to \(socketPath ?? "127.0.0.1:\(port)"): errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\n"
        var all = headers
        if all.keys.first(where: { $0.lowercased() == "host" }) == nil { all["Host"] = socketPath == nil ? "127.0.0.1:\(port)" : "localhost" }
        all["Connection"] = "close"
        if !body.isEmpty || method == "POST" { all["Content-Length"] = "\(body.count)" }
        for (name, value) in all.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw HarnessError(description: "write: \(errno)") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Until the server closes, or the body its Content-Length announces is complete (a
        // server may keep the connection open despite `Connection: close`).
        while !Self.complete(response) {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += buffer[..<n]
        }
        return try Self.parse(response)
    }

    /// Bearer-authenticated GET and POST, the way a script would call the API.
    public func get(_ path: String, token: String?) async throws -> Answer {
        try await send("GET", path, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:])
    }

    public func post(_ path: String, token: String?) async throws -> Answer {
        try await send("POST", path, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:])
    }

    static func complete(_ bytes: [UInt8]) -> Bool {
        guard let answer = try? parse(bytes), let length = answer.header("Content-Length").flatMap({ Int($0) }) else { return false }
        return answer.body.count >= length
    }

    static func parse(_ bytes: [UInt8]) throws -> Answer {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw HarnessError(description: "no HTTP head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HarnessError(description: "bad status line \(lines[0])") }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(bytes[(end + 4)...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = dechunk(body)
        }
        return Answer(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16),
                  size > 0 else { break }
            let start = lineEnd + 2
            out += bytes[start..<min(bytes.count, start + size)]
            index = start + size + 2
        }
        return out
    }
}
