import CUpscaledVips
import Synchronization
import UpscaledCore

/// Produces the network's output for one image a row of tiles at a time, as libvips' encoder
/// pulls strips of the lazy output image (`upscaled_vips_generated_rgb`). Only `TileSizing.stripsKept`
/// finished rows of tiles exist at once, so memory does not grow with the image.
///
/// libvips asks from several of its worker threads; one lock serialises the network (ncnn runs its
/// own threads inside each tile) and guards the finished rows. Between tiles it checks `stop`: a
/// stop request ends the job there, and the job's file goes back to the inbox.
final class TiledUpscaleSource: Sendable {
    /// Why the source stopped producing pixels.
    enum Failure: Error, Equatable {
        case stopped
        case network(String)
    }

    private struct Strip {
        var row: Int
        var pixels: [UInt8]
    }

    private struct State {
        var strips: [Strip] = []
        var tilesDone = 0
        var failure: Failure?
    }

    let network: NcnnNetwork
    let plan: TilePlan
    /// The decoded input: 8-bit RGB, rows packed.
    private let input: [UInt8]
    private let state = Mutex(State())
    private let shouldStop: @Sendable () -> Bool
    private let progress: @Sendable (_ done: Int, _ total: Int) -> Void

    var outputWidth: Int { plan.width * network.scale }
    var outputHeight: Int { plan.height * network.scale }
    var failure: Failure? { state.withLock { $0.failure } }
    var tilesDone: Int { state.withLock { $0.tilesDone } }

    init(network: NcnnNetwork, input: [UInt8], width: Int, height: Int, tileSize: Int, margin: Int,
         shouldStop: @escaping @Sendable () -> Bool, progress: @escaping @Sendable (Int, Int) -> Void) {
        precondition(input.count == width * height * 3)
        self.network = network
        self.input = input
        self.plan = TilePlan(width: width, height: height, tileSize: tileSize, margin: margin)
        self.shouldStop = shouldStop
        self.progress = progress
    }

    /// Copies output rows `top..<top+height`, columns `left..<left+width`, into `destination`.
    func fill(left: Int, top: Int, width: Int, height: Int, destination: UnsafeMutablePointer<UInt8>, stride: Int) -> Bool {
        let scale = network.scale
        let rowBytes = outputWidth * 3
        return state.withLock { state -> Bool in
            var y = top
            while y < top + height {
                let row = plan.row(containing: y / scale)
                guard let strip = strip(row, &state) else { return false }
                let stripTop = plan.coreRows(row).lowerBound * scale
                let stripBottom = plan.coreRows(row).upperBound * scale
                let last = min(top + height, stripBottom)
                strip.pixels.withUnsafeBufferPointer { source in
                    for line in y..<last {
                        let from = source.baseAddress! + (line - stripTop) * rowBytes + left * 3
                        (destination + (line - top) * stride).update(from: from, count: width * 3)
                    }
                }
                y = last
            }
            return true
        }
    }

    /// The finished row of tiles `row`, computing it if it is not kept.
    private func strip(_ row: Int, _ state: inout State) -> Strip? {
        if state.failure != nil { return nil }
        if let kept = state.strips.first(where: { $0.row == row }) { return kept }
        let scale = network.scale
        let rows = plan.coreRows(row)
        let rowBytes = outputWidth * 3
        var pixels = [UInt8](repeating: 0, count: rows.count * scale * rowBytes)
        var scratch: [UInt8] = []
        for column in 0..<plan.columns {
            if shouldStop() {
                state.failure = .stopped
                return nil
            }
            let tile = plan.tile(row: row, column: column)
            let needed = tile.context.width * scale * tile.context.height * scale * 3
            if scratch.count < needed { scratch = [UInt8](repeating: 0, count: needed) }
            do throws(NcnnRunError) {
                try input.withUnsafeBufferPointer { source throws(NcnnRunError) in
                    try scratch.withUnsafeMutableBufferPointer { out throws(NcnnRunError) in
                        try network.run(pixels: source, width: plan.width, height: plan.height,
                                        region: tile.context, into: out)
                    }
                }
            } catch {
                state.failure = .network(error.description)
                return nil
            }
            // The core of the tile's output, into its place in the strip.
            let tileRowBytes = tile.context.width * scale * 3
            let coreBytes = tile.core.width * scale * 3
            scratch.withUnsafeBufferPointer { out in
                pixels.withUnsafeMutableBufferPointer { strip in
                    for line in 0..<(tile.core.height * scale) {
                        let from = out.baseAddress! + (tile.coreOffsetY * scale + line) * tileRowBytes + tile.coreOffsetX * scale * 3
                        let to = strip.baseAddress! + line * rowBytes + tile.core.x * scale * 3
                        to.update(from: from, count: coreBytes)
                    }
                }
            }
            state.tilesDone += 1
            progress(state.tilesDone, plan.count)
        }
        let strip = Strip(row: row, pixels: pixels)
        state.strips.append(strip)
        if state.strips.count > TileSizing.stripsKept { state.strips.removeFirst() }
        return strip
    }
}
