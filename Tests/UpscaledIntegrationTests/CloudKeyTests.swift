import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The API key: a rejected key pauses instead of failing files, a fixed one is read again where
/// it came from, and the key appears in no log, status or sidecar.
@Suite struct CloudKeyTests: CloudTestRig {
    @Test func aRejectedKeyPausesAndResumesByItself() async throws {
        let server = try await StabilityTestServer()
        server.setKeyAccepted(false)
        let (h, _) = try await start("fast", server: server)
        #expect(await h.socket.waitFor { $0.contains("paused") && $0.contains("401") } != nil)
        try h.drop("wait.png") { try ImageFactory.write($0, width: 100, height: 80) }
        // Paused: the file waits in the inbox untouched; nothing is failed, nothing is uploaded.
        try await Task.sleep(for: .milliseconds(500))       // give a wrong implementation the chance to take it
        #expect(listFiles(h.inbox) == ["wait.png"])
        #expect(posts(server, "/upscale/fast").isEmpty)
        server.setKeyAccepted(true)
        #expect(await eventually { exists(h.outbox.appending("wait.png")) })
        #expect(listFiles(h.failed).isEmpty)
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func aKeyRejectedMidJobPutsTheFileBackAndReloadResumes() async throws {
        let server = try await StabilityTestServer()
        server.script([.status(401, name: "unauthorized", message: "key revoked", shape: .v2)])
        let (h, _) = try await start("fast", config: "retry_base_ms = 60000", server: server)   // no self-resume in this test
        try h.drop("k.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await h.socket.waitFor { $0.contains("paused") } != nil)
        #expect(await eventually { listFiles(h.inbox) == ["k.png"] })
        #expect(listFiles(h.failed).isEmpty)
        h.daemon?.signal(SIGHUP)                              // the operator fixed the key and reloads
        #expect(await eventually { exists(h.outbox.appending("k.png")) })
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    /// Issue 10, defect 8: a key from `stability.api_key_file` that the API rejects is read
    /// again on reload: the user fixes the file, reloads, and the waiting file is upscaled.
    @Test func aFixedKeyFileIsReadAgainOnReload() async throws {
        let server = try await StabilityTestServer()
        let h = try DaemonHarness()
        let keyFile = h.home.path.appending("stability.key")
        try writeFile(keyFile, Array("sk-not-the-right-one\n".utf8))
        let config = h.home.path.appending("cloud.toml")
        // retry_base_ms high: no probe of its own during the test, only the reload decides.
        try writeFile(config, Array("engine = \"fast\"\n[stability]\nretry_base_ms = 60000\napi_key_file = \"\(keyFile.string)\"\n".utf8))
        let daemon = try await h.start(["--config", config.string], environment: ["STABILITY_API_HOST": server.url])
        #expect(await h.socket.waitFor { $0.contains("paused") && $0.contains("401") } != nil, "\(daemon.log)")
        try h.drop("key.png") { try ImageFactory.write($0, width: 100, height: 80) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(listFiles(h.inbox) == ["key.png"])
        try writeFile(keyFile, Array("\(server.key)\n".utf8))       // the user fixes the file
        daemon.signal(SIGHUP)
        #expect(await eventually { exists(h.outbox.appending("key.png")) }, "\(daemon.log)")
        #expect(listFiles(h.failed).isEmpty)
        #expect(!daemon.log.contains(server.key))                   // never logged
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func theKeyAppearsNowhere() async throws {
        let server = try await StabilityTestServer()
        server.script([.status(400, name: "bad_request", message: "nope", shape: .v2)])
        let (h, _) = try await start("fast", server: server, args: ["--workers", "1", "--log-level", "trace"])
        try h.drop("k1.png") { try ImageFactory.write($0, width: 100, height: 80) }
        try h.drop("k2.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { listFiles(h.failed).count == 2 && exists(h.outbox.appending("k2.png")) })
        let daemon = try #require(h.daemon)
        #expect(await h.stop() == 0)
        var haystack = daemon.log + h.socket.received.joined(separator: "\n")
        for file in listFiles(h.root, includeHidden: true) where file.hasSuffix(".json") {
            haystack += (try? String(contentsOfFile: h.root.appending(file).string, encoding: .utf8)) ?? ""
        }
        haystack += String(decoding: try readFile(FilePath("/proc/\(getpid())/cmdline")), as: UTF8.self)
        #expect(!haystack.isEmpty)
        #expect(!haystack.contains(server.key))
        #expect(!daemon.process.arguments!.joined().contains(server.key))
        await server.shutdown()
    }

    @Test func aMissingKeyIsAClearErrorNotACrashLoop() async throws {
        let home = TempDirectory()
        let (status, output) = try await runUpscaled(["run", "--engine", "fast", "--root", home.path.appending("r").string],
                                                     home: home.path, environment: ["STABILITY_API_HOST": "http://127.0.0.1:9"])
        #expect(status == 78)
        #expect(output.contains("STABILITY_API_KEY"))
    }
}
