import CUpscaledVips

/// Starts libvips once per process with the daemon's safety settings: untrusted loaders
/// (PDF, SVG, ImageMagick-backed…) blocked, no operation cache, one libvips thread per job
/// (parallelism comes from our worker count, so two jobs never fight over two cores).
public enum VipsRuntime {
    private static let started: Bool = {
        upscaled_vips_start(CommandLine.arguments.first ?? "upscaled", 1) == 0
    }()

    /// Starts libvips if needed. - Throws: when libvips cannot start (broken install).
    public static func start() throws(VipsError) {
        guard started else { throw VipsError("libvips failed to start; is libvips42 installed?") }
    }
}

extension VipsRuntime {
    /// "8.14.1"
    public static var version: String {
        "\(vips_version(0)).\(vips_version(1)).\(vips_version(2))"
    }
}
