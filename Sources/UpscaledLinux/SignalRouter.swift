import Foundation
import Glibc
import Synchronization

/// SIGTERM, SIGINT and SIGHUP as async sequences, read by one thread of our own with
/// `sigwaitinfo(2)`.
///
/// Why not ServiceLifecycle's `UnixSignalsSequence`: it is built on Dispatch signal sources,
/// and the first Dispatch queue that runs anything starts libdispatch's worker pool with a 1 s
/// monitor timer that never stops: an idle daemon would wake 60 times a minute. Here the
/// signals are blocked in every thread and one thread sleeps in `sigwaitinfo` until one comes.
///
/// A signal nobody listens for keeps its default meaning (SIGTERM during start-up still ends
/// the process, killed by that signal), except one the daemon asked to `hold`: that one waits
/// for the first listener (a SIGHUP sent while the daemon starts becomes a reload once it runs).
public enum SignalRouter {
    /// The signals routed; every other signal keeps its usual disposition.
    public static let routed: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    private struct Listener {
        let signals: Set<Int32>
        let continuation: AsyncStream<Int32>.Continuation
    }

    private struct State {
        var started = false
        var listeners: [UInt64: Listener] = [:]
        var nextID: UInt64 = 0
        var held: Set<Int32> = []
        var pending: [Int32] = []
    }

    private static let state = Mutex(State())

    /// Blocks the routed signals and starts the thread that waits for them. Call first thing in
    /// `main`, before any other thread exists: threads inherit the mask they are created with,
    /// and a thread without it would take the signal with its default action.
    public static func start() {
        let first = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        var set = routedSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let thread = Thread {
            nameCurrentThread("signals")
            var set = routedSet()
            var info = siginfo_t()
            while true {
                let signal = sigwaitinfo(&set, &info)
                if signal > 0 { deliver(signal) }
            }
        }
        thread.start()
    }

    /// A signal that arrives while nobody listens is kept for the first listener instead of
    /// taking its default action.
    public static func hold(_ signal: Int32) {
        state.withLock { _ = $0.held.insert(signal) }
    }

    /// Every arrival of any of `signals`, from now until the sequence is dropped or cancelled.
    public static func arrivals(of signals: Set<Int32>) -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(8))
        let id = state.withLock { state -> UInt64 in
            let id = state.nextID
            state.nextID += 1
            state.listeners[id] = Listener(signals: signals, continuation: continuation)
            state.pending.removeAll { signal in
                guard signals.contains(signal) else { return false }
                continuation.yield(signal)
                return true
            }
            return id
        }
        continuation.onTermination = { _ in
            _ = state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        return stream
    }

    private static func deliver(_ signal: Int32) {
        let heard = state.withLock { state -> Bool in
            let listeners = state.listeners.values.filter { $0.signals.contains(signal) }
            for listener in listeners { listener.continuation.yield(signal) }
            if listeners.isEmpty && state.held.contains(signal) {
                state.pending.append(signal)
                return true
            }
            return !listeners.isEmpty
        }
        if !heard { takeDefaultAction(signal) }
    }

    /// What the signal would have done had we not blocked it: for these three, end the process,
    /// killed by that very signal (so a service manager sees a clean SIGTERM stop).
    private static func takeDefaultAction(_ signal: Int32) {
        Glibc.signal(signal, SIG_DFL)
        var one = sigset_t()
        sigemptyset(&one)
        sigaddset(&one, signal)
        pthread_sigmask(SIG_UNBLOCK, &one, nil)
        raise(signal)
    }

    private static func routedSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in routed { sigaddset(&set, signal) }
        return set
    }
}
