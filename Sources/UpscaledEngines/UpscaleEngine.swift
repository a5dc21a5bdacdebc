import SystemPackage
import UpscaledCore
import UpscaledLinux

/// What an engine is asked to do with one claimed file.
public struct UpscaleRequest: Sendable {
    /// The claimed original (inside the claims folder).
    public var input: FilePath
    /// The inbox-relative name, for messages.
    public var displayName: String
    /// The input's format, decided from its magic bytes.
    public var inputFormat: ImageFormat
    /// The format to write.
    public var outputFormat: ImageFormat
    public var target: UpscaleTarget
    /// The inbox subfolder the file came from (its first path component), for per-folder settings.
    public var folder: String?
    /// An asynchronous generation already started for this file (after a restart): poll it, do not pay twice.
    public var resumeGenerationID: String?
    /// Called with an asynchronous generation's id as soon as the API gives it, to journal it.
    public var recordGeneration: (@Sendable (String) async throws -> Void)?
    /// Called as a long job advances (the AI engine: tiles done, tiles in all), from the engine's thread.
    public var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?

    public init(input: FilePath, displayName: String, inputFormat: ImageFormat, outputFormat: ImageFormat,
                target: UpscaleTarget, folder: String? = nil, resumeGenerationID: String? = nil,
                recordGeneration: (@Sendable (String) async throws -> Void)? = nil,
                progress: (@Sendable (Int, Int) -> Void)? = nil) {
        self.input = input
        self.displayName = displayName
        self.inputFormat = inputFormat
        self.outputFormat = outputFormat
        self.target = target
        self.folder = folder
        self.resumeGenerationID = resumeGenerationID
        self.recordGeneration = recordGeneration
        self.progress = progress
    }
}

/// What an engine produced: written into the `TempFile` it was handed, not yet fsynced or visible.
public struct UpscaleResult: Sendable, Equatable {
    public var inputWidth: Int
    public var inputHeight: Int
    public var width: Int
    public var height: Int
    public var format: ImageFormat
    /// Anything worth telling the user (orientation applied, alpha flattened for JPEG…).
    public var notes: [String]

    public init(inputWidth: Int, inputHeight: Int, width: Int, height: Int, format: ImageFormat, notes: [String] = []) {
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.width = width
        self.height = height
        self.format = format
        self.notes = notes
    }
}

/// An upscaler: the AI engine (ncnn), the local libvips engine, or a Stability AI endpoint.
public protocol UpscaleEngine: Sendable {
    /// The engine's name in logs, status and sidecars ("local").
    var name: String { get }
    /// What the engine does, honestly named ("bicubic 2x (libvips)").
    var summary: String { get }
    /// Upscales `request.input` into `output`.
    func upscale(_ request: UpscaleRequest, into output: TempFile) async throws(UpscaleFailure) -> UpscaleResult
    /// Releases threads and connections.
    func shutdown() async
    /// Checks the engine can work (a cloud engine checks its key and reads the balance).
    /// - Returns: a short note for the status ("balance 12.5 credits"), or nil.
    /// - Throws: `.pauseEngine` when it cannot work until something changes (a rejected key).
    func prepare() async throws(UpscaleFailure) -> String?
    /// Graceful shutdown has begun: long waits (creative polling) end early; their jobs resume
    /// at the next start instead of holding up the stop.
    func beginShutdown()
}

extension UpscaleEngine {
    public func prepare() async throws(UpscaleFailure) -> String? { nil }
    public func beginShutdown() {}
}
