/// The format a result is written in. `same` keeps the input's format where the engine can
/// write it and falls back to PNG otherwise (GIF, TIFF, HEIF… inputs).
public enum OutputFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp, same

    /// The concrete format for an input of `input`'s type.
    public func resolved(for input: ImageFormat) -> ImageFormat {
        switch self {
        case .png: .png
        case .jpeg: .jpeg
        case .webp: .webp
        case .same: [.png, .jpeg, .webp].contains(input) ? input : .png
        }
    }
}
