import Foundation
import UnixSignals
import Glibc
import UpscaledTestSupport

/// `upscaled-fake-api`: the loopback Stability API stand-in from the tests, as a program, for
/// benchmarks and manual trials. Never shipped in the package.
///
///     upscaled-fake-api [--delay SECONDS] [--stats FILE]
///
/// Prints `URL KEY` on one line, serves until SIGTERM/SIGINT, then writes per-request stats
/// (path, status, seconds since start) as JSON to FILE.
@main
struct FakeAPI {
    static func main() async throws {
        var delay = 0.0
        var stats: String?
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--delay": delay = Double(arguments.next() ?? "") ?? 0
            case "--stats": stats = arguments.next()
            default:
                FileHandle.standardError.write(Data("usage: upscaled-fake-api [--delay SECONDS] [--stats FILE]\n".utf8))
                exit(64)
            }
        }
        let server = try await StabilityTestServer()
        server.setResponseDelay(delay)
        FileHandle.standardOutput.write(Data("\(server.url) \(server.key)\n".utf8))
        // Wait for SIGTERM or SIGINT.
        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break }
        let start = server.requests.first?.at ?? .now
        let rows = server.requests.map { request -> [String: Any] in
            let elapsed = request.at - start
            return ["method": request.method, "path": request.path, "status": request.status,
                    "t": Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18]
        }
        if let stats, let data = try? JSONSerialization.data(withJSONObject: rows) {
            try? data.write(to: URL(fileURLWithPath: stats))
        }
        await server.shutdown()
    }
}

