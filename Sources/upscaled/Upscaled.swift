import ArgumentParser

/// `upscaled`: the command line. Thin on purpose: every subcommand parses, then hands over.
struct Upscaled: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upscaled",
        abstract: "Watch a folder and upscale every image dropped into it, filing each exactly once.",
        discussion: """
            Folders under the root (default ~/Upscale): inbox/ (drop files here), outbox/ (results), \
            archive/ (originals), failed/ (with a .json reason beside each file), quarantine/.
            Configuration: $XDG_CONFIG_HOME/upscaled/config.toml, or --config; flags win over the file.
            """,
        version: UpscaledVersion.string,
        subcommands: [Run.self, UpscaleOne.self, Status.self, Web.self, ThumbnailHelper.self],
        defaultSubcommand: Run.self)
}

enum UpscaledVersion {
    static let string = "0.1.0"
}
