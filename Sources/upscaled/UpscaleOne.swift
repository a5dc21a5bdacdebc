import ArgumentParser
import SystemPackage
import UpscaledCore
import UpscaledDaemon
import UpscaledEngines
import UpscaledLinux

extension Upscaled {
    /// `upscaled upscale IN [OUT]`: one file, in the foreground, with the daemon's engine and settings.
    struct UpscaleOne: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upscale", abstract: "Upscale one file in the foreground.")

        @OptionGroup var options: SharedOptions

        @Argument(help: ArgumentHelp("The image to upscale.", valueName: "in"))
        var input: String

        @Argument(help: ArgumentHelp("Where to write the result (default: beside the input, as NAME-upscaled.EXT). Never overwritten.",
                                     valueName: "out"))
        var output: String?

        func run() async throws {
            let loader = ConfigLoader(explicitPath: options.config.map { FilePath($0) }, overrides: options.overrides())
            let config: DaemonConfig
            do { config = try loader.load() } catch {
                Logging.fail("upscaled: \(error)")
                throw ExitCode(78)
            }
            do {
                let written = try await OneShotUpscale.run(input: FilePath(input), output: output.map { FilePath($0) }, config: config)
                print(written.display)
            } catch let error as ConfigError {
                Logging.fail("upscaled: \(error)")
                throw ExitCode(78)
            } catch {
                Logging.fail("upscaled: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
