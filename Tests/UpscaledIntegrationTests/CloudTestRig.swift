import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// What the cloud suites share: the built daemon on a Stability engine, pointed at a real HTTP
/// server on 127.0.0.1 (`StabilityTestServer`) with fast retries.
protocol CloudTestRig {}

extension CloudTestRig {
    /// A daemon on `engine`, pointed at a fresh test server, with fast retries.
    func start(_ engine: String, config extra: String = "", server: StabilityTestServer? = nil, args: [String] = [],
               waitForReady: Bool = true) async throws -> (DaemonHarness, StabilityTestServer) {
        let h = try DaemonHarness()
        let server = if let server { server } else { try await StabilityTestServer() }
        let config = h.home.path.appending("cloud.toml")
        // Fast retries for tests; `extra` lines replace these defaults.
        var lines = ["retry_base_ms = 20", "max_attempts = 4", "timeout_s = 5"]
        let extraLines = extra.split(separator: "\n").map(String.init)
        lines.removeAll { line in extraLines.contains { $0.split(separator: "=").first == line.split(separator: "=").first } }
        try writeFile(config, Array((["engine = \"\(engine)\"", "[stability]"] + lines + extraLines).joined(separator: "\n").utf8))
        try await h.start(["--config", config.string] + args,
                          environment: ["STABILITY_API_HOST": server.url, "STABILITY_API_KEY": server.key],
                          waitForReady: waitForReady)
        return (h, server)
    }

    func posts(_ server: StabilityTestServer, _ suffix: String) -> [RecordedRequest] {
        server.requests.filter { $0.method == "POST" && $0.path.hasSuffix(suffix) }
    }

    func sidecar(_ path: FilePath) throws -> FailureSidecar {
        try JSONDecoder().decode(FailureSidecar.self, from: Data(readFile(path)))
    }
}
