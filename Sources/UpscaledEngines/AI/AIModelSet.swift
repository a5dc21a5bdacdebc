import CUpscaledLinux
import CUpscaledVips
import Foundation
import Synchronization
import UpscaledCore

/// The loaded networks of one model (one per native factor), found, checked and loaded once at
/// start (and again at a reload that changes them). Everything that can be wrong with a model is
/// found here, as an `AIModelError` naming the file.
public final class AIModelSet: Sendable {
    public let name: String
    public let family: AIModelFamily
    /// Where the networks run (`ai.gpu`).
    public let device: NcnnDevice
    /// By native factor, ascending.
    let networks: [NcnnNetwork]
    /// Jobs running on these networks; when the last ends, their pools are emptied.
    private let jobs = Mutex(0)

    public var scales: [Int] { networks.map(\.scale) }

    /// Loads what `config` names; `threads` ncnn threads per job.
    public init(config: AIConfig, threads: Int, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(AIModelError)
    {
        let device = try NcnnDevice.choose(config.gpu)
        self.device = device
        if let path = config.modelPath {
            name = (path as NSString).lastPathComponent
            family = config.modelFamily
            networks = [try NcnnNetwork(param: path + ".param", bin: path + ".bin", scale: config.modelScale,
                                        threads: threads, device: device)]
            return
        }
        guard let model = AIModelCatalog.model(named: config.model) else {
            throw .unusable(param: config.model, detail: "not a known model")      // validate() said so first
        }
        let directories = config.modelsDirectory.map { [$0] }
            ?? environment["UPSCALED_MODELS_DIR"].map { [$0] }
            ?? AIModelCatalog.searchDirectories
        var loaded: [NcnnNetwork] = []
        for variant in model.variants.sorted(by: { $0.scale < $1.scale }) {
            let param = try Self.locate(variant.stem + ".param", in: directories)
            let bin = try Self.locate(variant.stem + ".bin", in: directories)
            try Self.check(param, sha256: variant.paramSHA256)
            try Self.check(bin, sha256: variant.binSHA256)
            loaded.append(try NcnnNetwork(param: param, bin: bin, scale: variant.scale, threads: threads, device: device))
        }
        name = model.name
        family = model.family
        networks = loaded
    }

    /// Runs one job. When it is the last to end, the networks' memory pools are emptied and the
    /// heap trimmed, so the daemon's memory falls back when the inbox is done.
    func withJob<T>(_ body: () throws(UpscaleFailure) -> T) throws(UpscaleFailure) -> T {
        jobs.withLock { $0 += 1 }
        defer {
            jobs.withLock { count in
                count -= 1
                guard count == 0 else { return }
                // Under the lock: no job can start (and extract) while the pools are swapped.
                networks.forEach { $0.releasePools() }
                upscaled_release_free_memory()
            }
        }
        return try body()
    }

    /// The network for a wanted factor: the smallest native factor at or above it, else the largest.
    func network(for factor: Double) -> NcnnNetwork {
        networks.first { Double($0.scale) >= factor - 1e-9 } ?? networks[networks.count - 1]
    }

    private static func locate(_ file: String, in directories: [String]) throws(AIModelError) -> String {
        for directory in directories {
            let path = (directory as NSString).appendingPathComponent(file)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw .missing(file: file, searched: directories)
    }

    private static func check(_ path: String, sha256 expected: String) throws(AIModelError) {
        let actual = try NcnnNetwork.sha256(of: path)
        guard actual == expected else { throw .corrupt(path: path, expectedSHA256: expected, actualSHA256: actual) }
    }
}
