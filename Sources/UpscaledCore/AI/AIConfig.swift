/// The AI engine's settings (`[ai]` in config.toml): which network, how much memory its tiles may
/// use, how many threads it runs on, and whether it may use a GPU.
public struct AIConfig: Sendable, Equatable {
    /// `"auto"`: a hardware Vulkan device (a GPU) when ncnn was built with Vulkan and one exists,
    /// else the CPU. `"off"`: always the CPU, and Vulkan is never loaded. `"vulkan"`: any Vulkan
    /// device, also a software one such as Mesa's lavapipe (much slower than the CPU path; for
    /// tests and drivers that report themselves as CPUs); the daemon refuses to start without one.
    public enum GPU: String, Sendable, Equatable, CaseIterable { case auto, off, vulkan }

    /// A model from `AIModelCatalog` (`realesr-animevideov3`, `realesrgan-x4plus`, …).
    public var model: String = AIModelCatalog.defaultModel
    /// A user's own ncnn model: `/x/y` names `/x/y.param` and `/x/y.bin`. Overrides `model`.
    public var modelPath: String?
    /// The factor of the model at `modelPath` (its PixelShuffle), 1–8.
    public var modelScale: Int?
    /// The architecture of the model at `modelPath`, which sets its tiles' context margin and cost.
    public var modelFamily: AIModelFamily = .compact
    /// Where the built-in models are; nil: the installed places (`AIModelCatalog.searchDirectories`).
    public var modelsDirectory: String?
    /// What one job's tiles and strips may use, in MiB; the tile size follows from it. nil: the
    /// model family's default (`AIModelFamily.defaultMemoryMB`: 512 compact, 2048 RRDB).
    public var memoryMB: Int?
    /// Input pixels of context around each tile; nil: the family's (`AIModelFamily.contextMargin`).
    public var tileMargin: Int?
    /// A fixed tile size in input pixels instead of one chosen from `memoryMB` (as
    /// realesrgan-ncnn-vulkan's `-t`); nil: chosen.
    public var tileSize: Int?
    /// ncnn threads per job; nil: the cores divided by the workers (at least 1).
    public var threads: Int?
    public var gpu: GPU = .auto

    public init() {}

    /// Checks every value and names the key when one is wrong.
    public func validate() throws(ConfigError) {
        if let path = modelPath {
            guard path.hasPrefix("/") else {
                throw ConfigError("ai.model_path '\(path)' must be an absolute path (without .param or .bin)")
            }
            guard let scale = modelScale else {
                throw ConfigError("ai.model_path is set: also set ai.model_scale, the model's factor (e.g. 4)")
            }
            guard (1...8).contains(scale) else { throw ConfigError("ai.model_scale \(scale) is out of range; use 1 to 8") }
        } else {
            guard AIModelCatalog.model(named: model) != nil else {
                throw ConfigError("ai.model '\(model)' is not known; use one of: \(AIModelCatalog.models.map(\.name).joined(separator: ", ")), or set ai.model_path to your own ncnn model")
            }
            if modelScale != nil { throw ConfigError("ai.model_scale is only for ai.model_path (a built-in model knows its factor)") }
        }
        if let memoryMB, !(64...65_536).contains(memoryMB) {
            throw ConfigError("ai.memory_mb \(memoryMB) is out of range; use 64 to 65536")
        }
        if let tileMargin, !(0...256).contains(tileMargin) {
            throw ConfigError("ai.tile_margin \(tileMargin) is out of range; use 0 to 256 (or leave it out: the model's own)")
        }
        if let tileSize, !(16...4096).contains(tileSize) {
            throw ConfigError("ai.tile_size \(tileSize) is out of range; use 16 to 4096 (or leave it out: chosen from ai.memory_mb)")
        }
        if let threads, !(1...256).contains(threads) {
            throw ConfigError("ai.threads \(threads) is out of range; use 1 to 256")
        }
    }

    /// One job's memory in MiB for a model of `family`.
    public func effectiveMemoryMB(family: AIModelFamily) -> Int { memoryMB ?? family.defaultMemoryMB }

    /// The context margin for a model of `family`.
    public func effectiveTileMargin(family: AIModelFamily) -> Int { tileMargin ?? family.contextMargin }

    /// ncnn threads for one job when `workers` jobs run at once on `cores` cores.
    public func effectiveThreads(cores: Int, workers: Int) -> Int {
        threads ?? max(1, cores / max(1, workers))
    }
}
