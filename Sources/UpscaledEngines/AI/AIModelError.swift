import SystemPackage

/// Why a model cannot be used. Each is a configuration error: the daemon refuses to start (or a
/// reload keeps the running model) with the path and what to do; never a failed input.
public enum AIModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// None of the places looked in has the file.
    case missing(file: String, searched: [String])
    case unreadable(path: String, reason: String)
    /// A built-in model's file whose bytes are not the pinned ones (truncated, corrupted, replaced).
    case corrupt(path: String, expectedSHA256: String, actualSHA256: String)
    /// ncnn rejected the `.param` file (not ncnn text, or a layer this build does not have).
    case badParam(path: String)
    /// The `.bin` does not hold exactly the weights the `.param` describes.
    case mismatch(param: String, bin: String, detail: String)
    /// The network loaded but does not behave as an upscaler of the stated factor.
    case unusable(param: String, detail: String)
    /// `ai.gpu = "vulkan"` and ncnn has no Vulkan device to run on.
    case noVulkanDevice(detail: String)

    public var description: String {
        switch self {
        case .missing(let file, let searched):
            "AI model file \(file) not found in \(searched.joined(separator: ", ")); install the models with packaging/install-models, or set ai.models_dir"
        case .unreadable(let path, let reason):
            "cannot read AI model file \(path): \(reason)"
        case .corrupt(let path, let expected, let actual):
            "AI model file \(path) is damaged (sha256 \(actual.prefix(12))…, expected \(expected.prefix(12))…); reinstall it with packaging/install-models"
        case .badParam(let path):
            "AI model \(path) is not a usable ncnn .param file (not ncnn's text format, or a layer this ncnn build lacks)"
        case .mismatch(let param, let bin, let detail):
            "AI model \(bin) does not match \(param): \(detail); use the .bin that belongs to this .param"
        case .unusable(let param, let detail):
            "AI model \(param) cannot be used: \(detail)"
        case .noVulkanDevice(let detail):
            "ai.gpu = \"vulkan\" but \(detail); use ai.gpu = \"auto\" to fall back to the CPU"
        }
    }
}
