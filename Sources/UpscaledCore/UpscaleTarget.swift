/// How big a result should be: a fixed factor, or fitted to a target width or height.
public enum UpscaleTarget: Sendable, Equatable, Codable {
    case scale(Double)
    case fitWidth(Int)
    case fitHeight(Int)

    public static let scaleRange: ClosedRange<Double> = 2...8

    /// The output size for an input of `width`×`height`, and the factors that produce it.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int, hscale: Double, vscale: Double) {
        let factor: Double
        switch self {
        case .scale(let s): factor = s
        case .fitWidth(let w): factor = Double(w) / Double(width)
        case .fitHeight(let h): factor = Double(h) / Double(height)
        }
        let w = max(1, Int((Double(width) * factor).rounded()))
        let h = max(1, Int((Double(height) * factor).rounded()))
        // Exact factors per axis so the result has exactly the promised size.
        return (w, h, Double(w) / Double(width), Double(h) / Double(height))
    }

    /// Human text for status and sidecars: "2x", "width 4000".
    public var summary: String {
        switch self {
        case .scale(let s): s == s.rounded() ? "\(Int(s))x" : "\(s)x"
        case .fitWidth(let w): "width \(w)"
        case .fitHeight(let h): "height \(h)"
        }
    }
}
