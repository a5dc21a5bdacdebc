import Logging
import NIOPosix
import ServiceLifecycle
import UpscaledCore

/// What a service outside this module (the page's server) is given of the running daemon:
/// read views of its state, and the I/O threads every blocking call belongs on.
public struct DaemonParts: Sendable {
    public typealias ServiceMaker = @Sendable (DaemonParts) throws -> any Service

    public let config: DaemonConfig
    public let layout: FolderLayout
    public let status: StatusBoard
    public let pipeline: Pipeline
    public let history: JobHistory
    public let metrics: MetricsExporter?
    /// Blocking file work (listings, moves, thumbnails' reads) runs here, never on the cooperative pool.
    public let io: NIOThreadPool
    public let logger: Logger
}
