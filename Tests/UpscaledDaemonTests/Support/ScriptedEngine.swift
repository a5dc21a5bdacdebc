import Synchronization
import UpscaledCore
import UpscaledDaemon
import UpscaledEngines
import UpscaledLinux

/// An engine whose answers a test writes: for the files it names, a failure (any code and
/// disposition) or a wait; for every other file the real local engine (libvips bicubic), so a
/// result is a real image the runner verifies and files as it would any other.
final class ScriptedEngine: UpscaleEngine {
    enum Answer: Sendable {
        case upscale
        case fail(UpscaleFailure)
        /// Blocks the job until the test calls `release(_:)` for this file.
        case hold
    }

    let name = "scripted"
    let summary = "a test engine (libvips bicubic, or what the test says)"
    private let real: LocalEngine
    private let state = Mutex(State())

    private struct State {
        var answers: [String: [Answer]] = [:]
        var prepareFailure: UpscaleFailure?
        var prepareCalls = 0
        var jobs: [String] = []
        var held: [String: CheckedContinuation<Void, Never>] = [:]
        var released: Set<String> = []
    }

    init(config: DaemonConfig) throws {
        real = try LocalEngine(settings: LocalEngineSettings(config: config), threads: 1)
    }

    /// The next jobs for `displayName` get these answers, in order (then `.upscale`).
    func script(_ displayName: String, _ answers: Answer...) {
        state.withLock { $0.answers[displayName, default: []] += answers }
    }

    /// `prepare()` fails with `failure` (nil: works) from now on.
    func failPrepare(_ failure: UpscaleFailure?) { state.withLock { $0.prepareFailure = failure } }

    /// The display names of the jobs started so far, in order.
    var jobs: [String] { state.withLock { $0.jobs } }
    var prepareCalls: Int { state.withLock { $0.prepareCalls } }
    func isHolding(_ displayName: String) -> Bool { state.withLock { $0.held[displayName] != nil } }

    func release(_ displayName: String) {
        let waiter = state.withLock { state in
            state.released.insert(displayName)
            return state.held.removeValue(forKey: displayName)
        }
        waiter?.resume()
    }

    func upscale(_ request: UpscaleRequest, into output: TempFile) async throws(UpscaleFailure) -> UpscaleResult {
        let answer = state.withLock { state -> Answer in
            state.jobs.append(request.displayName)
            return state.answers[request.displayName]?.isEmpty == false
                ? state.answers[request.displayName]!.removeFirst() : .upscale
        }
        switch answer {
        case .upscale: break
        case .fail(let failure): throw failure
        case .hold:
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.released.remove(request.displayName) != nil { return true }
                    state.held[request.displayName] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        }
        return try await real.upscale(request, into: output)
    }

    func prepare() async throws(UpscaleFailure) -> String? {
        let failure = state.withLock { state in
            state.prepareCalls += 1
            return state.prepareFailure
        }
        if let failure { throw failure }
        return "scripted engine ready"
    }

    func shutdown() async { await real.shutdown() }
}
