import Foundation
import Glibc
import NIOPosix
import SystemPackage

/// A real browser for the page's tests: headless Chromium driven through chromedriver's W3C
/// WebDriver protocol (JSON over HTTP, spoken here with `HTTPProbe`; no Selenium needed).
/// Debian's `chromium` and `chromium-driver` come from `packaging/install-deps --test`.
public final class WebDriver: @unchecked Sendable {
    // @unchecked: `session` and `driver` are written once in `start` before the instance is
    // shared, and only read afterwards; commands are sent one at a time by one test task.
    private var driver: Process?
    private var session = ""
    private let probe: HTTPProbe
    private let log: FilePath
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }

    /// Starts chromedriver on a free port and opens a headless Chromium session.
    public init(logDirectory: FilePath, width: Int = 1280, height: Int = 900) async throws {
        let port = try Self.freePort()
        probe = HTTPProbe(port: port)
        log = logDirectory.appending("chromedriver.log")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        process.arguments = ["--port=\(port)", "--log-path=\(log.string)"]
        _ = FileManager.default.createFile(atPath: logDirectory.appending("chromedriver.out").string, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: logDirectory.appending("chromedriver.out").string))
        process.standardOutput = out
        process.standardError = out
        try process.run()
        driver = process
        var ready = false
        for _ in 0..<300 where !ready {
            let probe = self.probe
            ready = (try? await probe.send("GET", "/status"))?.status == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else { throw HarnessError(description: "chromedriver did not start on port \(port)") }
        let options: [String: Any] = [
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--window-size=\(width),\(height)", "--user-data-dir=\(logDirectory.appending("profile").string)"],
        ]
        let answer = try await command("POST", "/session", ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]])
        guard let id = (answer as? [String: Any])?["sessionId"] as? String else {
            throw HarnessError(description: "no WebDriver session: \(answer)")
        }
        session = id
    }

    deinit {
        if !session.isEmpty { _ = try? probe.exchange("DELETE", "/session/\(session)") }
        // Not waited for: chromium's children may hold copies of its descriptors (see DaemonProcess).
        // Chromium has closed with the session; chromedriver itself does not stop on SIGTERM
        // while it has a client connection open.
        if let driver { kill(driver.processIdentifier, SIGKILL) }
    }

    /// Sends one WebDriver command; its `value`. The exchange (a page load can take seconds)
    /// runs on a thread of NIO's pool, never on the cooperative pool the other tests share.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let probe = self.probe
        let answer = try await probe.send(method, path, headers: ["Content-Type": "application/json; charset=utf-8"], body: bytes)
        let object = answer.json as? [String: Any]
        if answer.status != 200 {
            throw HarnessError(description: "WebDriver \(method) \(path): \(answer.status) \(answer.text.prefix(600))")
        }
        return object?["value"] ?? NSNull()
    }

    var prefix: String { "/session/\(session)" }

    public func open(_ url: String) async throws { try await command("POST", "\(prefix)/url", ["url": url]) }

    public func currentURL() async throws -> String { (try await command("GET", "\(prefix)/url", nil) as? String) ?? "" }

    /// The first element matching `css`, or nil.
    public func find(_ css: String) async throws -> String? {
        let found = try await command("POST", "\(prefix)/elements", ["using": "css selector", "value": css]) as? [[String: Any]]
        return found?.first?[Self.elementKey] as? String
    }

    /// Waits for an element matching `css`.
    public func wait(for css: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let element = try? await find(css) { return element }
            try await Task.sleep(for: .milliseconds(50))
        }
        if let element = try? await find(css) { return element }
        throw HarnessError(description: "no element \(css) on \((try? await currentURL()) ?? "?")")
    }

    public func click(_ element: String) async throws { try await command("POST", "\(prefix)/element/\(element)/click", [:]) }

    public func text(_ element: String) async throws -> String {
        (try await command("GET", "\(prefix)/element/\(element)/text", nil) as? String) ?? ""
    }

    /// Runs `script` in the page (its `return` value).
    @discardableResult
    public func run(_ script: String, _ arguments: [Any] = []) async throws -> Any {
        try await command("POST", "\(prefix)/execute/sync", ["script": script, "args": arguments])
    }

    /// A real pointer drag: press at `from` (CSS pixels from the element's centre), move to `to`, release.
    public func drag(_ element: String, from: Int, to: Int) async throws {
        let origin = [Self.elementKey: element]
        try await command("POST", "\(prefix)/actions", ["actions": [[
            "type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"],
            "actions": [
                ["type": "pointerMove", "duration": 0, "origin": origin, "x": from, "y": 0],
                ["type": "pointerDown", "button": 0],
                ["type": "pointerMove", "duration": 300, "origin": origin, "x": to, "y": 0],
                ["type": "pointerUp", "button": 0],
            ],
        ]]])
    }

    /// A PNG of the viewport.
    public func screenshot() async throws -> [UInt8] {
        guard let text = try await command("GET", "\(prefix)/screenshot", nil) as? String, let data = Data(base64Encoded: text) else {
            throw HarnessError(description: "no screenshot")
        }
        return Array(data)
    }

    /// The element's own PNG (the whole page: `html`).
    public func screenshot(of element: String) async throws -> [UInt8] {
        guard let text = try await command("GET", "\(prefix)/element/\(element)/screenshot", nil) as? String,
              let data = Data(base64Encoded: text) else { throw HarnessError(description: "no screenshot") }
        return Array(data)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw HarnessError(description: "no free port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
