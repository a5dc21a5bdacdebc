import Logging
import Synchronization
import SystemPackage
import UpscaledCore
import UpscaledEngines
import UpscaledLinux

/// The engines other than the daemon's own that a person may choose for one file on the page
/// ("retry with another engine": a quarantined photo the cloud refused, done offline). Made on
/// first use with the daemon's configuration but another `engine`, kept until the daemon stops.
public final class AlternateEngines: Sendable {
    /// The engines a file may be retried with besides the daemon's: the offline ones, which need
    /// no key and no network.
    public static let choices = ["ai", "local"]

    private let make: @Sendable (String) throws -> any UpscaleEngine
    private let made = Mutex<[String: any UpscaleEngine]>([:])

    public init(make: @escaping @Sendable (String) throws -> any UpscaleEngine) {
        self.make = make
    }

    /// The engine `name`, made now if it is the first job for it. Blocking (an AI model loads).
    func engine(named name: String) throws -> any UpscaleEngine {
        if let engine = made.withLock({ $0[name] }) { return engine }
        let engine = try make(name)
        return made.withLock { made in
            if let first = made[name] { return first }        // two first jobs at once: one engine
            made[name] = engine
            return engine
        }
    }

    public func shutdownAll() async {
        for engine in made.withLock({ Array($0.values) }) { await engine.shutdown() }
    }
}

/// Where a retry from the page leaves the engine it asked for: one small file per retried file
/// in `inbox/.upscaled/engine-overrides/`, named by the file's inode and a hash of its inbox
/// path, so it follows the file through its claim (a rename keeps the inode) on whichever host
/// claims it. Written before the file goes back into the inbox; taken at the claim.
public enum EngineOverride {
    public static func file(in folder: FilePath, inode: UInt64, relative: FilePath) -> FilePath {
        folder.appending("\(String(inode, radix: 16))-\(OutputNaming.fnv1a64Hex(relative.bytes))")
    }
}

extension JobRunner {
    /// The engine for this claim: the one a retry from the page asked for, else the daemon's.
    /// An engine that cannot be made (a model missing) is logged and the daemon's is used.
    func engine(for claim: Claim, log: Logger) async -> any UpscaleEngine {
        guard let alternates else { return engine }
        let file = EngineOverride.file(in: layout.engineOverrides, inode: claim.status.inode, relative: claim.relative)
        let asked: String? = try? await blocking {
            guard let bytes = try? FileOperations.readAll(file, limit: 64) else { return nil }
            try? FileOperations.removeIfPresent(file)
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let asked, asked != engine.name else { return engine }
        guard AlternateEngines.choices.contains(asked) else {
            log.warning("\(claim.relative.display) was retried with engine '\(asked)', which cannot be chosen here; using \(engine.name)")
            return engine
        }
        do {
            let chosen = try await blocking { try alternates.engine(named: asked) }
            log.notice("\(claim.relative.display): with the \(chosen.name) engine, as asked on the page")
            return chosen
        } catch {
            log.error("\(claim.relative.display) was retried with the \(asked) engine, which cannot start: \(error); using \(engine.name)")
            return engine
        }
    }
}
