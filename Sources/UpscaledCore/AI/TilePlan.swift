/// How an image is cut into tiles for the network: a grid of cores that partition the image, each
/// read with at least `margin` pixels of context on every side that has a neighbour (cropped after
/// inference). At the image's own edges there is no margin, so a tile sees the edge exactly as an
/// untiled run does.
///
/// Every context has the same shape, `tileSize + 2 × margin` a side (or the image's own side when
/// that is smaller): a tile at an edge, or a partial last tile, reads more of its neighbours
/// instead of a smaller window. One shape means ncnn's pool allocators serve every tile from the
/// buffers of the first, so a job's memory is that of one tile, whatever the image's size; with a
/// shape per edge and corner they kept a set of buffers for each (measured: 1.3-2x the peak).
/// Pure geometry; the engine walks it row by row.
public struct TilePlan: Sendable, Equatable {
    /// A rectangle in input pixels.
    public struct Rect: Sendable, Equatable {
        public var x, y, width, height: Int
        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x; self.y = y; self.width = width; self.height = height
        }
    }

    /// One tile: the part it produces, and the part the network reads to produce it.
    public struct Tile: Sendable, Equatable {
        public var core: Rect
        public var context: Rect
        /// Where the core starts inside the context, in input pixels.
        public var coreOffsetX: Int { core.x - context.x }
        public var coreOffsetY: Int { core.y - context.y }
    }

    public let width: Int
    public let height: Int
    public let tileSize: Int
    public let margin: Int

    public init(width: Int, height: Int, tileSize: Int, margin: Int) {
        precondition(width > 0 && height > 0 && tileSize > 0 && margin >= 0)
        self.width = width
        self.height = height
        self.tileSize = tileSize
        self.margin = margin
    }

    public var columns: Int { (width + tileSize - 1) / tileSize }
    public var rows: Int { (height + tileSize - 1) / tileSize }
    public var count: Int { rows * columns }

    /// The input rows a row of tiles produces.
    public func coreRows(_ row: Int) -> Range<Int> {
        let top = row * tileSize
        return top..<min(height, top + tileSize)
    }

    /// The row of tiles that produces input row `y`.
    public func row(containing y: Int) -> Int { min(rows - 1, max(0, y) / tileSize) }

    /// The side of every context window, across and down.
    public var contextWidth: Int { min(width, tileSize + 2 * margin) }
    public var contextHeight: Int { min(height, tileSize + 2 * margin) }

    public func tile(row: Int, column: Int) -> Tile {
        let x = column * tileSize, y = row * tileSize
        let core = Rect(x: x, y: y, width: min(tileSize, width - x), height: min(tileSize, height - y))
        // `margin` before the core, then clamped into the image: the window keeps its shape and
        // still holds the core with `margin` (or more) on every side that has a neighbour.
        let left = min(max(0, x - margin), width - contextWidth)
        let top = min(max(0, y - margin), height - contextHeight)
        return Tile(core: core, context: Rect(x: left, y: top, width: contextWidth, height: contextHeight))
    }
}
