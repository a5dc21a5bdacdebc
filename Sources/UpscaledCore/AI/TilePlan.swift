/// How an image is cut into tiles for the network: a grid of cores that partition the image, each
/// read with `margin` pixels of context on every side that has a neighbour (cropped after
/// inference). At the image's own edges there is no margin, so a tile sees the edge exactly as an
/// untiled run does. Pure geometry; the engine walks it row by row.
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

    public func tile(row: Int, column: Int) -> Tile {
        let x = column * tileSize, y = row * tileSize
        let core = Rect(x: x, y: y, width: min(tileSize, width - x), height: min(tileSize, height - y))
        let left = max(0, x - margin), top = max(0, y - margin)
        let right = min(width, core.x + core.width + margin), bottom = min(height, core.y + core.height + margin)
        return Tile(core: core, context: Rect(x: left, y: top, width: right - left, height: bottom - top))
    }
}
