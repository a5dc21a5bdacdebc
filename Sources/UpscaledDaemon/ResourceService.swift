import ServiceLifecycle
import Synchronization

/// What the daemon opened (the I/O threads, the engine, the status writers), each closed exactly
/// once, in the reverse order of opening, however the run ends.
///
/// In the service group each resource is a `ResourceService` listed before every service that
/// uses it; the group shuts services down in reverse order, so a resource closes only after all
/// its users have ended. A start-up that fails before the group runs (a model that does not
/// load, a journal that cannot be read) calls `closeAll`, which closes what was opened so far,
/// in the same order.
final class ResourceStack: Sendable {
    private let closers = Mutex<[(name: String, close: @Sendable () async -> Void)]>([])
    private let closed = Mutex<Set<String>>([])

    /// `close` runs once, at the end, after everything opened later has been closed.
    func push(_ name: String, close: @escaping @Sendable () async -> Void) {
        closers.withLock { $0.append((name, close)) }
    }

    /// The resources as services, in opening order (for the front of the group's list).
    var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        closers.withLock { $0 }.map { entry in
            .init(service: ResourceService(description: entry.name) { await self.close(entry.name, entry.close) })
        }
    }

    /// Closes every resource not closed yet, the last opened first.
    func closeAll() async {
        for entry in closers.withLock({ $0 }).reversed() { await close(entry.name, entry.close) }
    }

    private func close(_ name: String, _ body: @Sendable () async -> Void) async {
        guard closed.withLock({ $0.insert(name).inserted }) else { return }
        await body()
    }
}

/// One resource in the service group: it waits for the graceful shutdown (or the group's
/// cancellation), then closes.
struct ResourceService: Service, CustomStringConvertible {
    let description: String
    let close: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
