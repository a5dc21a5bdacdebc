import Testing
import UpscaledCore

@Suite struct TilePlanTests {
    @Test(arguments: [(1, 1, 32, 20), (97, 33, 32, 20), (4000, 3000, 256, 20), (513, 512, 512, 24), (50, 700, 64, 0), (1000, 1000, 192, 20), (1010, 250, 192, 20)])
    func coresPartitionTheImageAndContextsStayInside(_ width: Int, _ height: Int, _ tile: Int, _ margin: Int) {
        let plan = TilePlan(width: width, height: height, tileSize: tile, margin: margin)
        var covered = 0
        for row in 0..<plan.rows {
            for column in 0..<plan.columns {
                let t = plan.tile(row: row, column: column)
                covered += t.core.width * t.core.height
                #expect(t.core.width > 0 && t.core.height > 0 && t.core.width <= tile && t.core.height <= tile)
                #expect(t.context.x >= 0 && t.context.y >= 0)
                #expect(t.context.x + t.context.width <= width && t.context.y + t.context.height <= height)
                // The context holds the core with at least `margin` on every side that has a neighbour.
                #expect(t.coreOffsetX >= min(margin, t.core.x) && t.coreOffsetY >= min(margin, t.core.y))
                let right = t.context.x + t.context.width - (t.core.x + t.core.width)
                let below = t.context.y + t.context.height - (t.core.y + t.core.height)
                #expect(right >= min(margin, width - (t.core.x + t.core.width)))
                #expect(below >= min(margin, height - (t.core.y + t.core.height)))
                // One shape for every window, so ncnn's pools reuse the first tile's buffers.
                #expect(t.context.width == min(width, tile + 2 * margin) && t.context.height == min(height, tile + 2 * margin))
                #expect(plan.coreRows(row).contains(t.core.y))
            }
        }
        #expect(covered == width * height)
        #expect(plan.count == plan.rows * plan.columns)
        #expect(plan.row(containing: height - 1) == plan.rows - 1 && plan.row(containing: 0) == 0)
    }

    @Test func tileSizeFollowsTheMemoryBudget() {
        let mb = 1 << 20
        // A 12 MP photo at 4x with the default 512 MiB: tiles that fit, strips of a 16000 px wide result included.
        let chosen = TileSizing.tileSize(memoryBytes: 512 * mb, family: .compact, inputWidth: 4000, inputHeight: 3000, scale: 4)
        #expect(TileSizing.bytesNeeded(tile: chosen, family: .compact, inputWidth: 4000, inputHeight: 3000, scale: 4) <= 512 * mb)
        let next = TileSizing.candidates.first { $0 > chosen }!
        #expect(TileSizing.bytesNeeded(tile: next, family: .compact, inputWidth: 4000, inputHeight: 3000, scale: 4) > 512 * mb)
        // More memory never means smaller tiles; RRDB needs smaller tiles than compact for the same budget.
        var last = 0
        for budget in [64, 128, 256, 512, 1024, 4096] {
            let t = TileSizing.tileSize(memoryBytes: budget * mb, family: .rrdb, inputWidth: 1000, inputHeight: 1000, scale: 4)
            #expect(t >= last)
            last = t
        }
        #expect(TileSizing.tileSize(memoryBytes: 256 * mb, family: .rrdb, inputWidth: 1000, inputHeight: 1000, scale: 4)
                < TileSizing.tileSize(memoryBytes: 256 * mb, family: .compact, inputWidth: 1000, inputHeight: 1000, scale: 4))
        // Too little memory still works, with the smallest tiles.
        #expect(TileSizing.tileSize(memoryBytes: 1, family: .rrdb, inputWidth: 9000, inputHeight: 9000, scale: 4) == 32)
    }

    /// RRDB's defaults buy it tiles that are not mostly margin: 96 px in 160 px windows.
    @Test func rrdbGetsItsOwnMemoryAndMarginByDefault() {
        let config = AIConfig()
        #expect(config.effectiveMemoryMB(family: .compact) == 512 && config.effectiveMemoryMB(family: .rrdb) == 2048)
        #expect(config.effectiveTileMargin(family: .compact) == 20 && config.effectiveTileMargin(family: .rrdb) == 32)
        let rrdb = TileSizing.tileSize(memoryBytes: 2048 << 20, family: .rrdb, inputWidth: 4000, inputHeight: 3000, scale: 4)
        #expect(rrdb == 96)
        #expect(TileSizing.tileSize(memoryBytes: 512 << 20, family: .compact, inputWidth: 4000, inputHeight: 3000, scale: 4) == 256)
        // A wider margin costs tile size within the same memory.
        #expect(TileSizing.tileSize(memoryBytes: 2048 << 20, family: .rrdb, margin: 64, inputWidth: 4000, inputHeight: 3000,
                                    scale: 4) < rrdb)
        var explicit = AIConfig()
        explicit.memoryMB = 1024
        explicit.tileMargin = 8
        #expect(explicit.effectiveMemoryMB(family: .rrdb) == 1024 && explicit.effectiveTileMargin(family: .rrdb) == 8)
        explicit.tileMargin = 300
        #expect((try? explicit.validate()) == nil)
    }

    @Test func theVariantIsTheSmallestNativeFactorAtOrAboveTheTarget() throws {
        let compact = try #require(AIModelCatalog.model(named: "realesr-animevideov3"))
        #expect(compact.variant(for: 2).scale == 2)
        #expect(compact.variant(for: 2.5).scale == 3)
        #expect(compact.variant(for: 3).scale == 3)
        #expect(compact.variant(for: 1.2).scale == 2)
        #expect(compact.variant(for: 8).scale == 4)
        let photo = try #require(AIModelCatalog.model(named: "realesrgan-x4plus"))
        #expect(photo.variant(for: 2).scale == 4)
    }

    @Test func aiSettingsAreValidatedWithTheKeyNamed() {
        var config = AIConfig()
        #expect(throws: Never.self) { try config.validate() }
        config.model = "esrgan-9000"
        #expect(throws: ConfigError.self) { try config.validate() }
        config = AIConfig()
        config.modelPath = "relative/model"
        #expect((try? config.validate()) == nil)
        config.modelPath = "/x/model"
        do { try config.validate(); Issue.record("model_path without model_scale was accepted") } catch {
            #expect(error.message.contains("ai.model_scale"))
        }
        config.modelScale = 4
        #expect(throws: Never.self) { try config.validate() }
        config = AIConfig()
        config.memoryMB = 10
        #expect((try? config.validate()) == nil)
        config = AIConfig()
        config.tileSize = 8
        #expect((try? config.validate()) == nil)
        #expect(AIConfig().effectiveThreads(cores: 8, workers: 2) == 4)
        #expect(AIConfig().effectiveThreads(cores: 2, workers: 4) == 1)
    }
}
