/// One job's entry in the on-disk journal, rewritten (atomically, fsynced) at each step so a
/// crash at any instant is resumed or rolled back at the next start without losing or
/// duplicating the file. See docs/ARCHITECTURE.md for what replay does in each state.
public struct JournalRecord: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        /// The original has been (or is about to be) renamed into the claims folder.
        case claimed
        /// The result is durable in a temp file and is being linked to `destination` in the outbox.
        case committingOutput
        /// The original is being moved to `failed/` or `quarantine/` at `destination`, sidecar first.
        case filingFailure
        /// A person's action from the page (`review`): a file of `failed/` or `quarantine/` is
        /// being put back into the inbox, archived, or deleted.
        case reviewing
    }

    public var id: String
    public var state: State
    /// The inbox-relative path of the original, exact bytes in base64.
    public var relativePathBase64: String
    /// The same path for humans (lossy for non-UTF-8 names).
    public var relativePath: String
    /// The name of the claimed original inside the claims folder.
    public var claimName: String
    /// Root-relative path (base64 bytes) of the output or failure destination, once chosen.
    public var destinationBase64: String?
    /// The inode of the result file, so replay can tell our output from a file that merely has its name.
    public var outputInode: UInt64?
    /// An asynchronous (creative) generation started for this job: after a restart it is polled
    /// again instead of being paid for twice. Results live 24 h at the API.
    public var generationID: String?
    /// The engine that started `generationID`.
    public var engine: String?
    /// What the job was to do with the original once its result is out (`after_success` when it
    /// committed), so a crash between the result and the disposal is finished the same way; nil
    /// (records of earlier versions): archive.
    public var afterSuccess: DaemonConfig.AfterSuccess?
    /// The host whose job this is (`host_id`); nil in records of versions before per-host state.
    public var host: String?
    /// The page's action this record is for (state `reviewing`).
    public var review: ReviewStep?
    public var createdAt: String

    public init(id: String, state: State, relativePathBase64: String, relativePath: String, claimName: String,
                destinationBase64: String? = nil, outputInode: UInt64? = nil, createdAt: String) {
        self.id = id
        self.state = state
        self.relativePathBase64 = relativePathBase64
        self.relativePath = relativePath
        self.claimName = claimName
        self.destinationBase64 = destinationBase64
        self.outputInode = outputInode
        self.createdAt = createdAt
    }
}

/// What a `reviewing` record does: move `source` (root-relative, base64 bytes; the file had
/// `inode` when the person chose it) to `destination`, or, for a delete, first aside to the
/// hidden `destination` in the same folder, where its inode is checked before it is removed.
public struct ReviewStep: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable { case retry, release, delete }
    public var action: Action
    public var sourceBase64: String
    public var destinationBase64: String
    public var inode: UInt64

    public init(action: Action, sourceBase64: String, destinationBase64: String, inode: UInt64) {
        self.action = action
        self.sourceBase64 = sourceBase64
        self.destinationBase64 = destinationBase64
        self.inode = inode
    }
}
