/// What a job reads at its start; the pipeline replaces it as a whole on reload.
public struct JobSettings: Sendable, Equatable {
    public var target: UpscaleTarget
    public var outputFormat: OutputFormat
    public var afterSuccess: DaemonConfig.AfterSuccess

    public init(config: DaemonConfig) {
        target = config.target
        outputFormat = config.outputFormat
        afterSuccess = config.afterSuccess
    }
}
