import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// One file upscaled in the foreground (`upscaled upscale IN [OUT]`), with the same engine,
/// checks and atomic, never-overwriting write as the daemon.
public enum OneShotUpscale {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(input: FilePath, output: FilePath?, config: DaemonConfig) async throws -> FilePath {
        guard let status = try FileOperations.statusIfPresent(input) else {
            throw Failure(description: "\(input.display) does not exist")
        }
        guard status.kind == .regular else { throw Failure(description: "\(input.display) is not a regular file") }
        let format: ImageFormat
        do { format = try InputSniff.format(of: input, name: input.display) } catch let failure as UpscaleFailure {
            throw Failure(description: failure.reason)
        }
        let engine: any UpscaleEngine
        switch config.engineKind {
        case .ai:
            var alone = config
            alone.workers = 1                                  // one file: every core on it
            do { engine = try AIEngine(config: alone) } catch let error as AIModelError { throw ConfigError("\(error)") }
        case .local:
            engine = try LocalEngine(settings: LocalEngineSettings(config: config), threads: 1)
        default:
            throw Failure(description: "upscale runs the ai and local engines; for \(config.engine) drop the file into the inbox of `upscaled run`")
        }
        let outputFormat: ImageFormat
        if let output, let ext = output.extension?.lowercased() {
            switch ext {
            case "png": outputFormat = .png
            case "jpg", "jpeg": outputFormat = .jpeg
            case "webp": outputFormat = .webp
            default: throw Failure(description: "cannot write .\(ext); use .png, .jpg or .webp")
            }
        } else {
            outputFormat = config.outputFormat.resolved(for: format)
        }
        var directory = output ?? input
        directory.removeLastComponent()
        if directory.isEmpty { directory = FilePath(".") }
        let temp = try TempFile.create(in: directory)
        var committed = false
        defer { temp.close(committed: committed) }
        let request = UpscaleRequest(input: input, displayName: input.display, inputFormat: format,
                                     outputFormat: outputFormat, target: config.target)
        let result = try await engine.upscale(request, into: temp)
        await engine.shutdown()
        try temp.sync()
        try ResultVerifier.verify(temp, expectedWidth: result.width, expectedHeight: result.height)
        if let output {
            guard try temp.commit(as: output) else {
                throw Failure(description: "\(output.display) already exists; it is never overwritten")
            }
            committed = true
            try FileOperations.syncDirectory(directory)
            return output
        }
        let base = input.lastComponent!
        let stem = base.stem + "-upscaled"
        let named = FilePath.Component(stem + "." + outputFormat.fileExtension) ?? base
        for name in OutputNaming.candidates(for: named, newExtension: nil) {
            let candidate = directory.appending(name)
            if try temp.commit(as: candidate) {
                committed = true
                try FileOperations.syncDirectory(directory)
                return candidate
            }
        }
        throw Failure(description: "no free name for the result in \(directory.display)")
    }
}
