/// Picks the tile size for one job from the memory it may use (`ai.memory_mb`).
///
/// A job holds: the decoded input (8-bit RGB), two finished rows of tiles waiting for the encoder
/// (a row is `tile × scale` output rows of the whole output width), and ncnn's working set for
/// one tile (`family.bytesPerTilePixel` per context pixel). Larger tiles waste less work on
/// margins, so the largest size that fits wins; 32 px is the floor (below it margins dominate).
public enum TileSizing {
    public static let candidates = [512, 384, 256, 192, 128, 96, 64, 48, 32]
    /// Rows of tiles kept for the encoder: the one being read and the one before (a resampler
    /// downstream may look a few rows back).
    public static let stripsKept = 2

    /// The bytes a job needs with tiles of `tile` px.
    public static func bytesNeeded(tile: Int, family: AIModelFamily, margin: Int? = nil,
                                   inputWidth: Int, inputHeight: Int, scale: Int) -> Int {
        // Every window has the plan's one shape (see `TilePlan`), never larger than the image.
        let side = tile + 2 * (margin ?? family.contextMargin)
        let network = min(side, inputWidth) * min(side, inputHeight) * family.bytesPerTilePixel
        let strips = stripsKept * (tile * scale) * (inputWidth * scale) * 3
        let input = inputWidth * inputHeight * 3
        return network + strips + input
    }

    public static func tileSize(memoryBytes: Int, family: AIModelFamily, margin: Int? = nil,
                                inputWidth: Int, inputHeight: Int, scale: Int) -> Int {
        let longest = max(inputWidth, inputHeight)
        for tile in candidates {
            // No tile larger than the image needs to be considered beyond the first that covers it.
            if tile > longest, candidates.contains(where: { $0 < tile && $0 >= longest }) { continue }
            if bytesNeeded(tile: tile, family: family, margin: margin, inputWidth: inputWidth, inputHeight: inputHeight,
                           scale: scale) <= memoryBytes {
                return tile
            }
        }
        return candidates[candidates.count - 1]
    }
}
