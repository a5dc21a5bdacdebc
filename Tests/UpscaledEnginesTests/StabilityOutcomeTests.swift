import Foundation
import MultipartKit
import NIOPosix
import Testing
import UpscaledTestSupport
import UpscaledCore
import UpscaledEngines

/// Every branch of the API reference's status table, decided without a network.
@Suite struct StabilityOutcomeTests {
    func response(_ status: Int, _ body: String, type: String = "application/json", headers: [(String, String)] = []) -> StabilityResponse {
        StabilityResponse(status: status, headers: [("Content-Type", type)] + headers, body: Array(body.utf8))
    }

    @Test func imageAnswersInBothShapes() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47]
        let raw = StabilityResponse(status: 200, headers: [("content-type", "image/png"), ("finish-reason", "SUCCESS"), ("seed", "77")], body: png)
        #expect(StabilityOutcome.classify(raw, kind: .fast, phase: .submit) == .image(bytes: png, format: .png, finishReason: "SUCCESS", seed: "77"))
        let json = response(200, #"{"image":"iVBORw==","finish_reason":"CONTENT_FILTERED","seed":5}"#, type: "application/json; type=image/webp")
        #expect(StabilityOutcome.classify(json, kind: .conservative, phase: .submit)
            == .image(bytes: [0x89, 0x50, 0x4E, 0x47], format: .webp, finishReason: "CONTENT_FILTERED", seed: "5"))
        let v1 = response(200, #"{"artifacts":[{"base64":"iVBORw==","finishReason":"SUCCESS","seed":9}]}"#)
        #expect(StabilityOutcome.classify(v1, kind: .v1("esrgan-v1-x2plus"), phase: .submit)
            == .image(bytes: [0x89, 0x50, 0x4E, 0x47], format: nil, finishReason: "SUCCESS", seed: "9"))
        let bare = response(200, #"[{"base64":"iVBORw==","finishReason":"SUCCESS","seed":9}]"#)
        if case .image = StabilityOutcome.classify(bare, kind: .v1("esrgan-v1-x2plus"), phase: .submit) {} else {
            Issue.record("the bare-array v1 shape was not accepted")
        }
    }

    @Test func creativeStartsWith200Or202AndPollsWith202() {
        #expect(StabilityOutcome.classify(response(200, #"{"id":"abc"}"#), kind: .creative, phase: .submit) == .started(id: "abc"))
        #expect(StabilityOutcome.classify(response(202, #"{"id":"abc"}"#), kind: .creative, phase: .submit) == .started(id: "abc"))
        #expect(StabilityOutcome.classify(response(202, #"{"id":"abc","status":"in-progress"}"#), kind: .creative, phase: .poll) == .inProgress)
        if case .failInput(let code, _, _) = StabilityOutcome.classify(
            response(404, #"{"id":"x","name":"generation_not_found","errors":["the generation either does not exist or has expired"]}"#),
            kind: .creative, phase: .poll) {
            #expect(code == .generationExpired)
        } else {
            Issue.record("an expired generation was not failed")
        }
        #expect(StabilityOutcome.classify(response(404, "Not Found", type: "text/plain"), kind: .creative, phase: .poll) == .unknownRoute)
    }

    @Test func keyProblemsPauseNeverFail() {
        for (status, body) in [(401, #"{"id":"1","name":"unauthorized","message":"missing authorization header"}"#),
                               (402, #"{"id":"1","name":"payment_required","errors":["no credits"]}"#)] {
            guard case .pause = StabilityOutcome.classify(response(status, body), kind: .fast, phase: .submit) else {
                Issue.record("\(status) did not pause"); continue
            }
        }
        // 403 means permission in v1, moderation in v2beta.
        guard case .pause = StabilityOutcome.classify(response(403, #"{"id":"1","name":"permission_denied","message":"no"}"#),
                                                      kind: .v1("esrgan-v1-x2plus"), phase: .submit) else {
            Issue.record("v1 403 did not pause"); return
        }
        guard case .moderated(let code, _, let details) = StabilityOutcome.classify(
            response(403, #"{"id":"abc123","name":"content_moderation","errors":["denied and you were not charged."]}"#),
            kind: .fast, phase: .submit) else { Issue.record("v2 403 was not moderation"); return }
        #expect(code == .contentModeration)
        #expect(details["request_id"] == "abc123")
    }

    @Test func inputErrorsCarryTheAPIsIdAndMessage() {
        guard case .failInput(let code, let reason, let details) = StabilityOutcome.classify(
            response(400, #"{"id":"e1","name":"bad_request","errors":["image: is required"]}"#), kind: .fast, phase: .submit)
        else { Issue.record("400 not failed"); return }
        #expect(code == .apiBadRequest)
        #expect(reason.contains("image: is required") && reason.contains("e1"))
        #expect(details["api_error"] == "bad_request")
        guard case .failInput(let v1code, let v1reason, _) = StabilityOutcome.classify(
            response(404, #"{"id":"e2","name":"not_found","message":"The specified engine (ID esrgan-v1-x2plus) was not found."}"#),
            kind: .v1("esrgan-v1-x2plus"), phase: .submit)
        else { Issue.record("v1 404 not failed"); return }
        #expect(v1code == .engineNotAvailable)
        #expect(v1reason.contains("retired"))
        guard case .failInput(let tooBig, _, _) = StabilityOutcome.classify(response(413, #"{"name":"payload_too_large","errors":["x"]}"#),
                                                                         kind: .fast, phase: .submit)
        else { Issue.record("413 not failed"); return }
        #expect(tooBig == .payloadTooLarge)
        guard case .moderated(let rejected, _, let rejectedDetails) = StabilityOutcome.classify(
            response(422, #"{"name":"invalid_language","errors":["English only"]}"#), kind: .conservative, phase: .submit)
        else { Issue.record("422 not quarantined"); return }
        #expect(rejected == .rejected && rejectedDetails["api_error"] == "invalid_language")
        guard case .failInput(let other, _, let otherDetails) = StabilityOutcome.classify(
            response(418, #"{"name":"teapot","errors":["short and stout"]}"#), kind: .fast, phase: .submit)
        else { Issue.record("418 not failed"); return }
        #expect(other == .apiError && otherDetails["http_status"] == "418")
    }

    @Test func transientAnswersAreRetried() {
        #expect(StabilityOutcome.classify(response(429, #"{"name":"rate_limit_exceeded","errors":["timed out for 60 seconds"]}"#),
                                          kind: .fast, phase: .submit) == .rateLimited)
        for status in [500, 502, 503] {
            guard case .retryable = StabilityOutcome.classify(response(status, "<html>gateway</html>", type: "text/html"),
                                                              kind: .fast, phase: .submit)
            else { Issue.record("\(status) not retried"); continue }
        }
    }

    @Test func errorBodiesDecodeLeniently() {
        #expect(APIErrorBody.decode(Array(#"{"id":"1","name":"n","message":"m"}"#.utf8), contentType: nil).summary == "n: m (request id 1)")
        #expect(APIErrorBody.decode(Array(#"{"id":"1","name":"n","errors":["a","b"]}"#.utf8), contentType: nil).summary == "n: a; b (request id 1)")
        #expect(APIErrorBody.decode(Array("<html><body>502</body></html>".utf8), contentType: "text/html").summary.contains("HTML page"))
        #expect(APIErrorBody.decode([], contentType: nil).summary == "no details")
    }

    @Test func theKeyNeverPrints() {
        let key = APIKey("sk-secret-123")!
        #expect(!"\(key)".contains("secret"))
        #expect(!String(reflecting: key).contains("secret"))
        #expect(key.bearer == "Bearer sk-secret-123")
    }

    @Test func endpointLimitsFromTheReference() {
        let fast = EndpointLimits.of(.fast)
        #expect(fast.violation(width: 1024, height: 1024, bytes: 1000, format: .png) == nil)
        #expect(fast.violation(width: 1600, height: 500, bytes: 1000, format: .png)?.contains("over 1536") == true)
        #expect(fast.violation(width: 30, height: 40, bytes: 1000, format: .png) != nil)
        #expect(fast.violation(width: 1025, height: 1024, bytes: 1000, format: .png)?.contains("over the maximum") == true)
        #expect(fast.violation(width: 100, height: 100, bytes: 1000, format: .gif)?.contains("reads only") == true)
        #expect(fast.violation(width: 100, height: 100, bytes: 10 * 1024 * 1024, format: .png)?.contains("10 MiB") == true)
        let conservative = EndpointLimits.of(.conservative)
        #expect(conservative.violation(width: 3000, height: 1000, bytes: 1, format: .jpeg)?.contains("aspect") == true)
        #expect(conservative.violation(width: 2500, height: 1000, bytes: 1, format: .jpeg) == nil)
        let v1 = EndpointLimits.of(.v1("esrgan-v1-x2plus"))
        #expect(v1.violation(width: 1024, height: 1024, bytes: 1, format: .png, outputPixels: 2048 * 2048) == nil)
        #expect(v1.violation(width: 1024, height: 1024, bytes: 1, format: .png, outputPixels: 2049 * 2048) != nil)
        let fitted = fast.fitted(width: 3000, height: 2000)
        #expect(fitted.width <= 1536 && fitted.width * fitted.height <= 1_048_576)
    }
}

@Suite struct RateLimiterTests {
    @Test func neverMoreThanTheLimitInAWindow() async throws {
        let limiter = RateLimiter(limit: 5, window: .milliseconds(400))
        let start = ContinuousClock.now
        var times: [Duration] = []
        for _ in 0..<12 {
            try await limiter.acquire()
            times.append(ContinuousClock.now - start)
        }
        // Any 400 ms span holds at most 5 sends.
        for (i, t) in times.enumerated() {
            let inWindow = times[i...].filter { $0 - t < .milliseconds(400) }.count
            #expect(inWindow <= 5)
        }
        #expect(times.last! >= .milliseconds(800))
    }

    @Test func aLockOutHoldsEverything() async throws {
        let limiter = RateLimiter(limit: 100)
        await limiter.lockOut(for: .milliseconds(300))
        let start = ContinuousClock.now
        try await limiter.acquire()
        #expect(ContinuousClock.now - start >= .milliseconds(290))
        #expect(await limiter.lockouts == 1)
    }
}

@Suite struct UploadBodyTests {
    @Test func theStreamedEnvelopeIsWhatMultipartKitWouldWriteWhole() async throws {
        let temp = TempDirectory()
        let image = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }          // several chunks
        try writeFile(temp.appending("img.png"), image)
        var form = StabilityForm(image: .file(temp.appending("img.png"), size: image.count), imageFormat: .png)
        form.add("prompt", "a photo")
        form.add("empty", "")                                                           // omitted, never sent empty
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let upload = try form.upload(pool: pool)
        var streamed: [UInt8] = []
        for try await chunk in UploadChunks(body: upload) { streamed += Array(chunk.readableBytesView) }
        try await pool.shutdownGracefully()
        #expect(streamed.count == upload.length)
        // MultipartKit's own parser reads it back: the prompt and every image byte.
        let boundary = String(upload.contentType.split(separator: "=").last!)
        let parser = MultipartParser(boundary: boundary)
        var bodies: [[UInt8]] = []
        var current: [UInt8] = []
        parser.onBody = { current += $0.readBytes(length: $0.readableBytes) ?? [] }
        parser.onPartComplete = { bodies.append(current); current = [] }
        try parser.execute(streamed)
        #expect(bodies.count == 2)
        #expect(bodies.first == Array("a photo".utf8))
        #expect(bodies.last == image)
    }
}
