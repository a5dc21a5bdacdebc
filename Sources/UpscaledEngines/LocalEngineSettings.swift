import UpscaledCore

/// The local engine's knobs, taken from the daemon configuration.
public struct LocalEngineSettings: Sendable, Equatable {
    public var pngCompression: Int
    public var pngFilterAll: Bool
    public var jpegQuality: Int
    public var webpQuality: Int
    public var maxInputPixels: Int
    public var maxOutputPixels: Int
    public var animated: DaemonConfig.Animated

    public init(config: DaemonConfig) {
        pngCompression = config.pngCompression
        pngFilterAll = config.pngFilterAll
        jpegQuality = config.jpegQuality
        webpQuality = config.webpQuality
        maxInputPixels = config.maxInputPixels
        maxOutputPixels = config.maxOutputPixels
        animated = config.animated
    }
}
