import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The built daemon against a real HTTP server on 127.0.0.1 that follows the Stability API
/// reference: every engine, every outcome class, the limits, the key.
@Suite struct CloudEngineTests: CloudTestRig {
    @Test func fastUpscalesFourTimesAndSendsWhatTheAPIAsks() async throws {
        let (h, server) = try await start("fast")
        try h.drop("a.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { exists(h.outbox.appending("a.png")) })
        let info = try ImageFactory.info(h.outbox.appending("a.png"))
        #expect(info.width == 400 && info.height == 320)
        let post = try #require(posts(server, "/upscale/fast").first)
        #expect(post.headers["authorization"] == "Bearer \(server.key)")
        #expect(post.headers["stability-client-id"] == "upscaled")
        #expect(post.headers["accept"] == "image/*")
        #expect(post.fields == ["output_format": "png"])
        #expect(post.imageContentType == "image/png")
        #expect(server.requests.first?.path == "/v1/user/balance")
        #expect(await h.socket.waitFor { $0.contains("balance 42.50 credits") } != nil)
        #expect(await h.stop() == 0)
        #expect(exists(h.archive.appending("a.png")))
        await server.shutdown()
    }

    @Test func conservativeSendsPromptsWithPerFolderOverrides() async throws {
        let (h, server) = try await start("conservative", config: """
            prompt = "a sharp photo"
            negative_prompt = "blur"
            seed = 42
            creativity = 0.3
            output_format_unused = 1
            """.replacingOccurrences(of: "output_format_unused = 1", with: "")
            + "\n[stability.folders.\"portraits\"]\nprompt = \"a portrait\"\n", args: ["--format", "jpeg"])
        try h.drop("x.png") { try ImageFactory.write($0, width: 100, height: 80) }
        try FileManager.default.createDirectory(atPath: h.inbox.appending("portraits").string, withIntermediateDirectories: true)
        try h.drop("portraits/face.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { exists(h.outbox.appending("x.jpg")) && exists(h.outbox.appending("portraits/face.jpg")) })
        let sent = posts(server, "/upscale/conservative")
        #expect(sent.count == 2)
        let plain = try #require(sent.first { $0.fields["prompt"] == "a sharp photo" })
        #expect(plain.fields == ["prompt": "a sharp photo", "negative_prompt": "blur", "seed": "42", "creativity": "0.3", "output_format": "jpeg"])
        let portrait = try #require(sent.first { $0.fields["prompt"] == "a portrait" })
        #expect(portrait.fields["negative_prompt"] == "blur")
        #expect(try ImageFactory.info(h.outbox.appending("x.jpg")).loader.hasPrefix("jpeg"))
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func creativePollsNoFasterThanEveryTenSeconds() async throws {
        let server = try await StabilityTestServer()
        server.setCreativePollsBeforeReady(1)
        server.setResultsRouteMissing(true)          // and falls back to the older result path
        let (h, _) = try await start("creative", config: "prompt = \"detailed\"\nstyle_preset = \"photographic\"", server: server)
        try h.drop("c.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually(timeout: .seconds(90)) { exists(h.outbox.appending("c.png")) })
        let start = try #require(posts(server, "/upscale/creative").first)
        #expect(start.fields["style_preset"] == "photographic")
        let polls = server.requests.filter { $0.method == "GET" && $0.path.contains("result") }
        #expect(polls.count >= 3)                    // 404 on the new path, 202, then 200 on the old one
        #expect(polls.contains { $0.path.hasPrefix("/v2beta/stable-image/upscale/creative/result/") && $0.status == 200 })
        var previous = start.at
        for poll in polls where !poll.path.hasPrefix("/v2beta/results/") {
            #expect(poll.at - previous >= .seconds(9.9), "polled after \(poll.at - previous)")
            previous = poll.at
        }
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func creativeResumesItsGenerationAfterACrash() async throws {
        let server = try await StabilityTestServer()
        server.setCreativePollsBeforeReady(1)
        let (h, _) = try await start("creative", config: "prompt = \"detailed\"", server: server)
        try h.drop("r.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { posts(server, "/upscale/creative").count == 1 })
        #expect(await eventually { (try? String(contentsOfFile: listFiles(h.journal).first.map { h.journal.appending($0).string } ?? "/nonexistent", encoding: .utf8))?.contains("generationID") == true })
        h.daemon?.signal(SIGKILL)
        _ = await h.daemon?.waitForExit()
        try await h.restart()
        #expect(await eventually(timeout: .seconds(60)) { exists(h.outbox.appending("r.png")) })
        #expect(h.daemon!.log.contains("resuming creative generation"))
        #expect(posts(server, "/upscale/creative").count == 1, "the generation was paid for twice")
        #expect(await h.stop() == 0)
        #expect(h.everything == ["archive/r.png", "outbox/r.png"])
        await server.shutdown()
    }

    @Test func filteredAndModeratedGoToQuarantine() async throws {
        let server = try await StabilityTestServer()
        server.script([.contentFiltered, .moderation,
                       .status(422, name: "invalid_language", message: "English is the only supported language", shape: .v2)])
        let (h, _) = try await start("fast", config: "keep_blurred = true", server: server, args: ["--workers", "1"])
        for name in ["f1.png", "f2.png", "f3.png"] {
            try h.drop(name) { try ImageFactory.write($0, width: 100, height: 80) }
            #expect(await eventually { listFiles(h.quarantine).contains(name) })
        }
        let filtered = try sidecar(h.quarantine.appending("f1.png.json"))
        #expect(filtered.code == .contentFiltered)
        #expect(filtered.details["finish_reason"] == "CONTENT_FILTERED")
        #expect(filtered.details["seed"] == "1234")
        #expect(exists(h.quarantine.appending("f1.blurred.png")))
        let moderated = try sidecar(h.quarantine.appending("f2.png.json"))
        #expect(moderated.code == .contentModeration)
        #expect(moderated.details["request_id"] != nil)
        #expect(moderated.reason.contains("not charged"))
        #expect(try sidecar(h.quarantine.appending("f3.png.json")).reason.contains("English"))
        #expect(listFiles(h.outbox).isEmpty && listFiles(h.failed).isEmpty)
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func clientErrorsFailWithTheAPIsWords() async throws {
        let server = try await StabilityTestServer()
        server.script([.status(400, name: "bad_request", message: "image: is broken", shape: .v2),
                       .status(400, name: "bad_request", message: "x", shape: .html)])
        let (h, _) = try await start("fast", server: server, args: ["--workers", "1"])
        try h.drop("e1.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { exists(h.failed.appending("e1.png.json")) })
        try h.drop("e2.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { exists(h.failed.appending("e2.png.json")) })
        let first = try sidecar(h.failed.appending("e1.png.json"))
        #expect(first.code == .apiBadRequest)
        #expect(first.reason.contains("image: is broken"))
        #expect(first.details["request_id"]?.count == 32)
        #expect(try sidecar(h.failed.appending("e2.png.json")).reason.contains("HTML page"))
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func retiredV1EnginesSaySoAndWorkingOnesUpscale() async throws {
        let server = try await StabilityTestServer()
        server.setV1Engines(["esrgan-v1-x2plus"])
        let (h, _) = try await start("stable-diffusion-x4-latent-upscaler", server: server)
        try h.drop("old.png") { try ImageFactory.write($0, width: 300, height: 200) }
        #expect(await eventually { exists(h.failed.appending("old.png.json")) })
        let retired = try sidecar(h.failed.appending("old.png.json"))
        #expect(retired.code == .engineNotAvailable)
        #expect(retired.reason.contains("retired"))
        #expect(await h.stop() == 0)

        let (h2, _) = try await start("esrgan-v1-x2plus", config: "organization = \"org-42\"", server: server)
        try h2.drop("v1.png") { try ImageFactory.write($0, width: 300, height: 200) }
        #expect(await eventually { exists(h2.outbox.appending("v1.png")) })
        #expect(try ImageFactory.info(h2.outbox.appending("v1.png")).width == 600)
        let post = try #require(posts(server, "/esrgan-v1-x2plus/image-to-image/upscale").first)
        #expect(post.fields == ["width": "600"])
        #expect(post.headers["accept"] == "image/png")
        #expect(post.headers["organization"] == "org-42")
        #expect(await h2.stop() == 0)
        await server.shutdown()
    }

    /// Issue 10, defect 6: a conversion the cloud engine makes itself (v1 answers PNG, JPEG was
    /// asked for) is encoded with `jpeg_quality`, not a fixed 92.
    @Test func conversionsUseTheConfiguredJPEGQuality() async throws {
        let server = try await StabilityTestServer()
        server.setV1Engines(["esrgan-v1-x2plus"])
        var sizes: [Int: Int] = [:]
        for quality in [20, 92] {
            let h = try DaemonHarness()
            let config = h.home.path.appending("cloud.toml")
            try writeFile(config, Array("engine = \"esrgan-v1-x2plus\"\njpeg_quality = \(quality)\n[stability]\nretry_base_ms = 20\n".utf8))
            let daemon = try await h.start(["--config", config.string, "--format", "jpeg"],
                                           environment: ["STABILITY_API_HOST": server.url, "STABILITY_API_KEY": server.key])
            try h.drop("q.png") { try ImageFactory.write($0, width: 300, height: 200) }
            #expect(await eventually { exists(h.outbox.appending("q.jpg")) }, "\(daemon.log)")
            sizes[quality] = try readFile(h.outbox.appending("q.jpg")).count
            #expect(try ImageFactory.info(h.outbox.appending("q.jpg")).loader.hasPrefix("jpeg"))
            #expect(await h.stop() == 0)
        }
        let low = try #require(sizes[20]), high = try #require(sizes[92])
        #expect(low * 2 < high, "jpeg_quality 20 gave \(low) bytes, 92 gave \(high)")
        await server.shutdown()
    }

    @Test func transientErrorsAreRetriedThenSucceed() async throws {
        let server = try await StabilityTestServer()
        server.script([.status(500, name: "internal_error", message: "try again later", shape: .v2), .reset,
                       .status(503, name: "x", message: "x", shape: .html)])
        let (h, _) = try await start("fast", server: server, args: ["--workers", "1"])
        try h.drop("t.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { exists(h.outbox.appending("t.png")) })
        #expect(posts(server, "/upscale/fast").count == 4)
        #expect(listFiles(h.failed).isEmpty)
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func slowAnswersTimeOutAndAreRetried() async throws {
        let server = try await StabilityTestServer()
        // Far apart on purpose: under a full CI run's load a normal answer (the server runs in this
        // test process) has taken more than a second, and a 1 s time-out then failed them all.
        server.script([.slow(20)])
        let (h, _) = try await start("fast", config: "timeout_s = 5", server: server, args: ["--workers", "1"])
        try h.drop("s.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually(timeout: .seconds(60)) { exists(h.outbox.appending("s.png")) })
        // The slow answer timed out and was retried (a connection the time-out closed may cost one more try).
        #expect((2...3).contains(posts(server, "/upscale/fast").count))
        #expect(listFiles(h.failed).isEmpty)
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func retriesRunOutIntoFailedWithTheAttemptsRecorded() async throws {
        let server = try await StabilityTestServer()
        server.script(Array(repeating: .status(500, name: "internal_error", message: "down", shape: .v2), count: 4))
        let (h, _) = try await start("fast", server: server, args: ["--workers", "1"])
        try h.drop("d.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually { exists(h.failed.appending("d.png.json")) })
        let failure = try sidecar(h.failed.appending("d.png.json"))
        #expect(failure.code == .apiUnavailable)
        #expect(failure.details["attempts"] == "4")
        #expect(posts(server, "/upscale/fast").count == 4)
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func aRateLimitLockOutIsWaitedOut() async throws {
        let server = try await StabilityTestServer()
        server.script([.rateLimited])
        let (h, _) = try await start("fast", server: server, args: ["--workers", "1"])
        try h.drop("l.png") { try ImageFactory.write($0, width: 100, height: 80) }
        #expect(await eventually(timeout: .seconds(120)) { exists(h.outbox.appending("l.png")) })
        let sent = server.requests.filter { $0.method == "POST" }
        #expect(sent.count == 2)
        #expect(sent[1].at - sent[0].at >= .seconds(59.5), "the retry came after \(sent[1].at - sent[0].at)")
        #expect(server.rateLimitedCount == 1)                // nothing was sent during the lock-out
        #expect(await h.stop() == 0)
        await server.shutdown()
    }

    @Test func limitsAreCheckedBeforeAnyUpload() async throws {
        let (h, server) = try await start("fast")
        try h.drop("huge.png") { try ImageFactory.write($0, width: 2000, height: 1200) }
        try h.drop("anim.gif") { try ImageFactory.write($0, width: 64, height: 64) }
        #expect(await eventually { exists(h.failed.appending("huge.png.json")) && exists(h.failed.appending("anim.gif.json")) })
        let refused = try sidecar(h.failed.appending("huge.png.json"))
        #expect(refused.code == .overAPILimit)
        #expect(refused.reason.contains("over 1536") && refused.reason.contains("nothing was uploaded"))
        #expect(try sidecar(h.failed.appending("anim.gif.json")).reason.contains("reads only"))
        #expect(posts(server, "/upscale/fast").isEmpty)
        #expect(await h.stop() == 0)

        // With fit_to_limits the same files are fitted and sent.
        // (A wide strip, so the test server's 4x answer stays small even on a loaded machine.)
        let (h2, server2) = try await start("fast", config: "fit_to_limits = true\ntimeout_s = 60")
        try h2.drop("wide.png") { try ImageFactory.write($0, width: 1800, height: 60) }
        #expect(await eventually { exists(h2.outbox.appending("wide.png")) })
        let fitted = try ImageFactory.info(h2.outbox.appending("wide.png"))
        #expect(fitted.width == 1536 * 4 && fitted.height == 51 * 4)
        #expect(posts(server2, "/upscale/fast").count == 1)
        #expect(await h2.stop() == 0)
        await server.shutdown()
        await server2.shutdown()
    }

    @Test func theSameBytesAreNotPaidForTwice() async throws {
        let (h, server) = try await start("fast")
        let staging = h.home.path.appending("same.png")
        try ImageFactory.write(staging, width: 100, height: 80)
        let bytes = try readFile(staging)
        try h.drop("one.png") { try writeFile($0, bytes) }
        #expect(await eventually { exists(h.outbox.appending("one.png")) })
        try h.drop("two.png") { try writeFile($0, bytes) }
        #expect(await eventually { exists(h.outbox.appending("two.png")) })
        #expect(posts(server, "/upscale/fast").count == 1)
        #expect(try readFile(h.outbox.appending("one.png")) == readFile(h.outbox.appending("two.png")))
        #expect(await h.stop() == 0)
        await server.shutdown()
    }
}
