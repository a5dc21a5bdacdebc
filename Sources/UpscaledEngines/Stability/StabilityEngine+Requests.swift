import Logging
import NIOHTTP1
import Synchronization
import UpscaledCore

/// The requests of each endpoint: the synchronous ones (fast, conservative, v1) answer with the
/// image; creative starts a generation whose id is journaled at once and polled until it ends,
/// so a restart resumes it instead of paying twice.
extension StabilityEngine {
    func synchronous(form: StabilityForm, request: UpscaleRequest, config: StabilityConfig)
        async throws(UpscaleFailure) -> (bytes: [UInt8], format: ImageFormat?, seed: String?)
    {
        let path: String
        let accept: String
        switch kind {
        case .fast: (path, accept) = ("/v2beta/stable-image/upscale/fast", "image/*")
        case .conservative: (path, accept) = ("/v2beta/stable-image/upscale/conservative", "image/*")
        case .v1(let id): (path, accept) = ("/v1/generation/\(id)/image-to-image/upscale", "image/png")
        default: throw UpscaleFailure(code: .`internal`, reason: "\(kind.name) is not a synchronous endpoint")
        }
        let outcome = try await exchange(.POST, path, accept: accept, form: form, phase: .submit, config: config, request: request)
        return try image(from: outcome, request: request, config: config)
    }

    func creative(form: StabilityForm, request: UpscaleRequest, config: StabilityConfig)
        async throws(UpscaleFailure) -> (bytes: [UInt8], format: ImageFormat?, seed: String?)
    {
        var id = request.resumeGenerationID
        if id == nil {
            let outcome = try await exchange(.POST, "/v2beta/stable-image/upscale/creative", accept: nil, form: form,
                                             phase: .submit, config: config, request: request)
            guard case .started(let started) = outcome else {
                if case .image = outcome { return try image(from: outcome, request: request, config: config) }
                try throwTerminal(outcome, request: request)
                throw UpscaleFailure(code: .apiUnexpected, reason: "the creative endpoint did not return a generation id")
            }
            id = started
            do { try await request.recordGeneration?(started) } catch {
                logger.warning("could not journal generation \(started) for \(request.displayName): \(error)")
            }
            logger.info("creative generation started for \(request.displayName)", metadata: ["upscaled.generation": "\(started)"])
        } else {
            logger.info("resuming creative generation for \(request.displayName)", metadata: ["upscaled.generation": "\(id!)"])
        }
        let generation = id!
        let deadline = ContinuousClock.now + .seconds(config.creativeDeadlineSeconds)
        var paths = ["/v2beta/results/\(generation)", "/v2beta/stable-image/upscale/creative/result/\(generation)"]
        while true {
            if ContinuousClock.now >= deadline {
                throw UpscaleFailure(code: .creativeTimeout,
                    reason: "the creative generation for \(request.displayName) did not finish within \(config.creativeDeadlineSeconds) s (stability.creative_deadline_s)",
                    details: ["generation_id": generation])
            }
            // Wait out the poll interval in one-second steps, so a graceful stop is not held up:
            // the generation id is journaled and the next start polls it again.
            for _ in 0..<config.pollSeconds {
                if stopping.withLock({ $0 }) || Task.isCancelled {
                    throw UpscaleFailure(code: .stoppedPolling, reason: "stopping; generation \(generation) resumes at the next start",
                                         disposition: .retryLater, details: ["generation_id": generation])
                }
                try? await Task.sleep(for: .seconds(1))
            }
            let outcome = try await exchange(.GET, paths[0], accept: "image/*", form: nil, phase: .poll, config: config, request: request)
            switch outcome {
            case .inProgress:
                continue
            case .unknownRoute where paths.count > 1:
                paths.removeFirst()                               // the other documented result path
                continue
            case .image:
                return try image(from: outcome, request: request, config: config)
            default:
                try throwTerminal(outcome, request: request, generation: generation)
            }
        }
    }

    func image(from outcome: StabilityOutcome, request: UpscaleRequest, config: StabilityConfig)
        throws(UpscaleFailure) -> (bytes: [UInt8], format: ImageFormat?, seed: String?)
    {
        guard case .image(let bytes, let format, let finishReason, let seed) = outcome else {
            try throwTerminal(outcome, request: request)
            throw UpscaleFailure(code: .apiUnexpected, reason: "no image in the API's answer")
        }
        if finishReason == "CONTENT_FILTERED" {
            var details = ["finish_reason": finishReason, "engine": kind.name]
            if let seed { details["seed"] = seed }
            throw UpscaleFailure(code: .contentFiltered,
                                 reason: "the API filtered the result of \(request.displayName) (CONTENT_FILTERED); its answer was blurred",
                                 disposition: .quarantine, details: details,
                                 attachment: config.keepBlurred ? UpscaleFailure.Attachment(bytes: bytes, format: format ?? .png) : nil)
        }
        return (bytes, format, seed)
    }

    func throwTerminal(_ outcome: StabilityOutcome, request: UpscaleRequest, generation: String? = nil) throws(UpscaleFailure) {
        var extra: [String: String] = ["engine": kind.name]
        if let generation { extra["generation_id"] = generation }
        switch outcome {
        case .failInput(let code, let reason, let details):
            throw UpscaleFailure(code: code, reason: "\(request.displayName): \(reason)", details: details.merging(extra) { a, _ in a })
        case .moderated(let code, let reason, let details):
            throw UpscaleFailure(code: code, reason: "\(request.displayName): \(reason)", disposition: .quarantine,
                                 details: details.merging(extra) { a, _ in a })
        case .pause(let reason):
            throw UpscaleFailure(code: .enginePaused, reason: reason, disposition: .pauseEngine)
        case .unknownRoute:
            throw UpscaleFailure(code: .apiNotFound, reason: "the API knows neither result path for generation \(generation ?? "?")",
                                 details: extra)
        default:
            throw UpscaleFailure(code: .apiUnexpected, reason: "unexpected answer from the API: \(outcome)", details: extra)
        }
    }
}
