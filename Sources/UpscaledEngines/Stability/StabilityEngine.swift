import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledLinux

/// The Stability AI engines: v2beta fast, conservative and creative, and the v1 upscale
/// endpoint, behind the same `UpscaleEngine` protocol as the local engine.
///
/// Every limit the API documents is checked locally before an upload, so a request that could
/// only fail is never sent; answers are classified by `StabilityOutcome`; transient failures
/// back off exponentially with jitter; a 429 holds every request for the lock-out; a rejected
/// key pauses the daemon instead of failing files.
public final class StabilityEngine: UpscaleEngine, EngineReconfigurable {
    public let kind: EngineKind
    public var name: String { kind.name }
    let client: StabilityClient
    private let current: Mutex<StabilityConfig>
    private let quality: Mutex<EncodeQuality>
    private let pool: NIOThreadPool
    private let cache: ResultCache?
    let logger: Logger
    let stopping = Mutex(false)

    public init(kind: EngineKind, config: DaemonConfig, key: APIKey, cacheDirectory: FilePath?, logger: Logger) {
        self.kind = kind
        self.client = StabilityClient(key: key, config: config.stability)
        self.current = Mutex(config.stability)
        self.quality = Mutex(EncodeQuality(config: config))
        self.pool = NIOThreadPool(numberOfThreads: 1)
        self.cache = config.stability.cache ? cacheDirectory.map { ResultCache(directory: $0) } : nil
        self.logger = logger
        pool.start()
    }

    public var summary: String {
        switch kind {
        case .fast: "4x (Stability v2beta fast)"
        case .conservative: "4 MP (Stability v2beta conservative)"
        case .creative: "up to 4K (Stability v2beta creative)"
        case .v1(let id): "(Stability v1 \(id))"
        case .local, .ai: ""
        }
    }

    public var limiter: RateLimiter { client.limiter }

    /// A reload: the settings, and the key read again from where it came from (a key file or
    /// credential the user fixed after a 401 is used at once; an unreadable one fails the reload,
    /// and the running key stays).
    public func update(config: DaemonConfig) throws(ConfigError) {
        let (key, _) = try APIKey.resolve(config: config.stability, environment: ProcessInfo.processInfo.environment)
        client.setKey(key)
        current.withLock { $0 = config.stability }
        quality.withLock { $0 = EncodeQuality(config: config) }
    }

    public func beginShutdown() {
        stopping.withLock { $0 = true }
    }

    public func shutdown() async {
        await client.shutdown()
        try? await pool.shutdownGracefully()
    }

    // MARK: - Key check

    public func prepare() async throws(UpscaleFailure) -> String? {
        let response: StabilityResponse
        do {
            response = try await client.send(.GET, "/v1/user/balance", accept: "application/json", organizationHeader: true)
        } catch {
            return "API unreachable at start (\(error)); files wait and are retried"
        }
        switch response.status {
        case 200:
            var note = "balance unknown"
            if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
               let credits = object["credits"] as? Double {
                note = "balance \(String(format: "%.2f", credits)) credits"
            }
            if case .v1(let id) = kind, let offered = await v1Engines(), !offered.contains(id) {
                note += "; warning: the API does not list the v1 engine '\(id)' (retired?)"
            }
            return note
        case 401, 402, 403:
            if case .pause(let reason) = StabilityOutcome.classify(response, kind: .fast, phase: .submit) {
                throw UpscaleFailure(code: .keyRejected, reason: reason, disposition: .pauseEngine)
            }
            throw UpscaleFailure(code: .keyRejected, reason: "the API refused the key (\(response.status))", disposition: .pauseEngine)
        default:
            return "balance unknown (\(response.status): \(response.error.summary))"
        }
    }

    private func v1Engines() async -> [String]? {
        guard let response = try? await client.send(.GET, "/v1/engines/list", accept: "application/json", organizationHeader: true),
              response.status == 200,
              let list = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]
        else { return nil }
        return list.compactMap { $0["id"] as? String }
    }

    // MARK: - Upscale

    public func upscale(_ request: UpscaleRequest, into output: TempFile) async throws(UpscaleFailure) -> UpscaleResult {
        let config = current.withLock { $0 }
        let quality = self.quality.withLock { $0 }
        let generation = config.generation(forFolder: request.folder)
        let kind = self.kind
        let input: PreparedInput
        do {
            input = try await pool.runIfActive { try Self.prepareInput(request, kind: kind, config: config, quality: quality) }
        } catch let failure as UpscaleFailure {
            throw failure
        } catch {
            throw UpscaleFailure(code: .engineStopped, reason: "the engine is shutting down", disposition: .retryLater)
        }
        var notes = input.notes
        let settingsText = "\(kind.name)|\(request.outputFormat.rawValue)|\(input.v1Width ?? 0)|\(generation)"
        let cacheKey = cache.map { _ in ResultCache.key(digest: input.digest, settings: settingsText) }

        var answer: (bytes: [UInt8], format: ImageFormat?)
        if let cache, let cacheKey, let hit = try? await pool.runIfActive({ cache.lookup(cacheKey) }) {
            answer = (hit.bytes, hit.format)
            notes.append("answered from the cache (same bytes and settings as an earlier drop; not paid again)")
        } else {
            let form = StabilityForm.make(kind: kind, image: input.source, format: input.format, generation: generation,
                                          outputFormat: request.outputFormat, v1Width: input.v1Width)
            let image: (bytes: [UInt8], format: ImageFormat?, seed: String?)
            if kind == .creative {
                image = try await creative(form: form, request: request, config: config)
            } else {
                image = try await synchronous(form: form, request: request, config: config)
            }
            answer = (image.bytes, image.format)
            if let seed = image.seed { notes.append("seed \(seed)") }
            if let cache, let cacheKey {
                let bytes = image.bytes
                let format = image.format ?? .png
                _ = try? await pool.runIfActive { cache.store(cacheKey, bytes: bytes, format: format) }
            }
        }
        return try await finish(answer: answer, input: input, request: request, notes: notes, quality: quality, output: output)
    }

    /// Converts (if asked), verifies and writes the answer into `output`.
    private func finish(answer: (bytes: [UInt8], format: ImageFormat?), input: PreparedInput, request: UpscaleRequest,
                        notes: [String], quality: EncodeQuality, output: TempFile) async throws(UpscaleFailure) -> UpscaleResult {
        let kind = self.kind
        let wanted = request.outputFormat
        let result: Result<UpscaleResult, UpscaleFailure>
        do {
            result = try await pool.runIfActive { () -> Result<UpscaleResult, UpscaleFailure> in
                var bytes = answer.bytes
                var notes = notes
                let header: VipsBuffer.Header
                do throws(VipsError) { header = try VipsBuffer.header(of: bytes) } catch {
                    return .failure(UpscaleFailure(code: .badResult, reason: "the API's answer is not an image that decodes: \(error.message)"))
                }
                var format = answer.format ?? ImageFormat.fromLoader(header.loader) ?? .png
                if format != wanted, [.png, .jpeg, .webp].contains(wanted) {
                    do throws(VipsError) { bytes = try VipsBuffer.transcode(bytes, suffix: quality.vipsSuffix(wanted)) } catch {
                        return .failure(UpscaleFailure(code: .badResult, reason: "the API's answer could not be converted: \(error.message)"))
                    }
                    notes.append("converted from \(format.rawValue) to \(wanted.rawValue)")
                    format = wanted
                }
                if kind == .fast, header.width != input.width * 4 || header.height != input.height * 4 {
                    return .failure(UpscaleFailure(code: .badResult,
                        reason: "the API returned \(header.width)x\(header.height), not 4x of \(input.width)x\(input.height)"))
                }
                if case .v1 = kind, let v1Width = input.v1Width, header.width != v1Width {
                    return .failure(UpscaleFailure(code: .badResult, reason: "the API returned width \(header.width), not the \(v1Width) asked for"))
                }
                do throws(SystemCallError) { try output.write(bytes) } catch {
                    return .failure(UpscaleFailure(code: .writeFailed, reason: "cannot write the result: \(error)",
                                                   disposition: error.isEnvironmental ? .retryLater : .failInput))
                }
                return .success(UpscaleResult(inputWidth: input.originalWidth, inputHeight: input.originalHeight,
                                              width: header.width, height: header.height, format: format, notes: notes))
            }
        } catch {
            throw UpscaleFailure(code: .engineStopped, reason: "the engine is shutting down", disposition: .retryLater)
        }
        return try result.get()
    }

    /// One request with the retry policy: 5xx, time-outs and resets back off exponentially
    /// with jitter (up to `max_attempts`); a 429 waits out the lock-out first. Returns any
    /// other outcome for the caller to act on.
    func exchange(_ method: HTTPMethod, _ path: String, accept: String?, form: StabilityForm?,
                          phase: StabilityOutcome.Phase, config: StabilityConfig, request: UpscaleRequest)
        async throws(UpscaleFailure) -> StabilityOutcome
    {
        var attempts = 0
        var lockouts = 0
        while true {
            attempts += 1
            let body: UploadBody?
            do { body = try form?.upload(pool: pool) } catch {
                throw UpscaleFailure(code: .`internal`, reason: "cannot encode the request: \(error)")
            }
            let outcome: StabilityOutcome
            do {
                // The v1 API documents `Organization:`; v2beta does not define it.
                let response = try await client.send(method, path, accept: accept, body: body,
                                                     organizationHeader: path.hasPrefix("/v1/"))
                outcome = StabilityOutcome.classify(response, kind: kind, phase: phase)
            } catch is CancellationError {
                throw UpscaleFailure(code: .engineStopped, reason: "stopping", disposition: .retryLater)
            } catch {
                outcome = .retryable(reason: "\(error)")
            }
            switch outcome {
            case .rateLimited:
                lockouts += 1
                logger.warning("429 from the API: every request waits \(config.lockoutSeconds) s", metadata: ["upscaled.path": "\(path)"])
                await client.limiter.lockOut(for: .seconds(config.lockoutSeconds))
                if lockouts > config.maxAttempts {
                    throw UpscaleFailure(code: .rateLimited, reason: "the API kept answering 429 after \(lockouts) lock-outs",
                                         disposition: .retryLater)
                }
                attempts -= 1                                      // a lock-out is not the request's fault
                continue
            case .retryable(let reason):
                if attempts >= config.maxAttempts {
                    throw UpscaleFailure(code: .apiUnavailable,
                        reason: "\(request.displayName): the API failed \(attempts) times; last: \(reason)",
                        details: ["attempts": "\(attempts)", "last_error": reason, "engine": kind.name])
                }
                let base = Double(config.retryBaseMilliseconds) * pow(2, Double(attempts - 1))
                let jittered = base * Double.random(in: 0.75...1.25)
                logger.notice("retrying after \(Int(jittered)) ms: \(reason)",
                              metadata: ["upscaled.file": "\(request.displayName)", "upscaled.attempt": "\(attempts)"])
                do { try await Task.sleep(for: .milliseconds(Int(jittered))) } catch {
                    throw UpscaleFailure(code: .engineStopped, reason: "stopping", disposition: .retryLater)
                }
                continue
            default:
                return outcome
            }
        }
    }
}
