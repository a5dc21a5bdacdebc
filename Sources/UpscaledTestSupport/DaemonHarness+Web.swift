import Foundation
import SystemPackage

extension DaemonHarness {
    /// The page of this harness's daemon: where it listens and its token.
    public struct Page: Sendable {
        public let probe: HTTPProbe
        public let token: String
        public let address: String
    }

    /// Starts the daemon with its page on a free loopback port and waits until it listens.
    @discardableResult
    public func startWithPage(_ arguments: [String] = [], environment: [String: String] = [:]) async throws -> Page {
        try await start(["--web-listen", "127.0.0.1:0"] + arguments, environment: environment)
        return try await page()
    }

    /// The page of the running daemon (from its status file, once it says where it listens).
    public func page() async throws -> Page {
        var address: String?
        _ = await eventually(timeout: .seconds(30)) {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: statusFile.string)),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
            address = object["web"] as? String
            return address != nil
        }
        guard let address, let probe = address.hasPrefix("/") ? HTTPProbe(socketPath: address) : HTTPProbe(address: address) else {
            throw HarnessError(description: "the page did not start listening:\n\(daemon?.log ?? "")")
        }
        let token = try String(decoding: readFile(webTokenFile), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Page(probe: probe, token: token, address: address)
    }

    /// Where the daemon keeps the page's token under this harness's home (the default place).
    public var webTokenFile: FilePath { home.path.appending("config/upscaled/web-token") }
}
