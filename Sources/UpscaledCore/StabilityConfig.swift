/// Settings of the Stability AI engines (`[stability]` in config.toml). Generation parameters
/// can be overridden per inbox subfolder (`[stability.folders."portraits"]`).
public struct StabilityConfig: Sendable, Equatable {
    /// Prompt-side parameters; every one optional so a folder can override just some.
    public struct Generation: Sendable, Equatable {
        public var prompt: String?
        public var negativePrompt: String?
        public var seed: UInt32?
        public var creativity: Double?
        public var stylePreset: String?
        /// v1 latent upscaler only.
        public var steps: Int?
        public var cfgScale: Double?

        public init() {}

        /// `self` with every value `other` sets replacing ours.
        public func overlaid(with other: Generation) -> Generation {
            var merged = self
            if let v = other.prompt { merged.prompt = v }
            if let v = other.negativePrompt { merged.negativePrompt = v }
            if let v = other.seed { merged.seed = v }
            if let v = other.creativity { merged.creativity = v }
            if let v = other.stylePreset { merged.stylePreset = v }
            if let v = other.steps { merged.steps = v }
            if let v = other.cfgScale { merged.cfgScale = v }
            return merged
        }
    }

    /// `https://api.stability.ai`; `STABILITY_API_HOST` or `host =` override it (tests use 127.0.0.1).
    public var host: String = "https://api.stability.ai"
    /// A file holding the key (one line). Otherwise STABILITY_API_KEY, or systemd's credential.
    public var apiKeyFile: String?
    public var organization: String?
    public var clientID: String = "upscaled"
    public var clientVersion: String?
    public var generation = Generation()
    /// Per inbox subfolder (first path component), overrides of `generation`.
    public var folders: [String: Generation] = [:]
    /// Requests in flight at once.
    public var concurrency: Int = 4
    /// Seconds one request may take (upload, generation, download).
    public var timeoutSeconds: Int = 120
    /// Attempts for 5xx, time-outs and resets, with exponential backoff and jitter between them.
    public var maxAttempts: Int = 5
    /// The first backoff step in milliseconds (then ×2 each attempt, ±25% jitter).
    public var retryBaseMilliseconds: Int = 1000
    /// Creative results are polled no faster than this (the API asks for ≥ 10 s).
    public var pollSeconds: Int = 10
    /// A creative job that is not finished after this long fails.
    public var creativeDeadlineSeconds: Int = 900
    /// Inputs over an endpoint's limits are downscaled or re-encoded first instead of failed.
    public var fitToLimits: Bool = false
    /// Keep the API's blurred result beside a content-filtered original in quarantine/.
    public var keepBlurred: Bool = false
    /// Answer a repeated drop of the same bytes with the same settings from the earlier result.
    public var cache: Bool = true
    /// The client-side ceiling on the API's 150 requests per 10 s, counted over 11 s windows
    /// (one second of margin for jitter), so the sustained rate is about 136 per 10 s.
    public var requestsPer10Seconds: Int = 150
    /// How long everything waits after a 429 (the API's documented lock-out).
    public var lockoutSeconds: Int = 60

    public init() {}

    /// The generation parameters for a file at inbox-relative `folder` (its first component).
    public func generation(forFolder folder: String?) -> Generation {
        guard let folder, let override = folders[folder] else { return generation }
        return generation.overlaid(with: override)
    }

    public static let stylePresets: Set<String> = [
        "enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art", "line-art", "analog-film",
        "neon-punk", "isometric", "low-poly", "origami", "modeling-compound", "cinematic", "3d-model", "pixel-art",
        "tile-texture",
    ]
}

/// Which engine a name selects.
public enum EngineKind: Sendable, Equatable {
    /// The offline AI engine: Real-ESRGAN-family networks through ncnn.
    case ai
    case local
    case fast
    case conservative
    case creative
    /// `POST /v1/generation/{id}/image-to-image/upscale`.
    case v1(String)

    public init?(name: String) {
        switch name {
        case "ai": self = .ai
        case "local": self = .local
        case "fast": self = .fast
        case "conservative": self = .conservative
        case "creative": self = .creative
        default:
            // Any other id is a v1 engine id; the API says whether it exists.
            guard !name.isEmpty, name.utf8.count <= 128,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
            else { return nil }
            self = .v1(name)
        }
    }

    public var isCloud: Bool { self != .local && self != .ai }

    public var name: String {
        switch self {
        case .ai: "ai"
        case .local: "local"
        case .fast: "fast"
        case .conservative: "conservative"
        case .creative: "creative"
        case .v1(let id): id
        }
    }

    public var isLatentV1: Bool {
        if case .v1(let id) = self { return id.contains("latent") }
        return false
    }
}
