import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import UpscaledDaemon

/// The I/O threads, the engine and the status writers close once each, the last opened first,
/// whether the run ends by a graceful shutdown, by a service that fails, or in start-up.
@Suite struct ResourceStackTests {
    final class Log: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    func stack(_ log: Log) -> ResourceStack {
        let stack = ResourceStack()
        for name in ["io", "status", "engine"] { stack.push(name) { log.add("closed \(name)") } }
        return stack
    }

    /// A service that uses the resources until the shutdown reaches it, or fails at once.
    struct User: Service {
        let log: Log
        let fails: Bool
        struct Broke: Error {}
        func run() async throws {
            if fails { log.add("user failed"); throw Broke() }
            try? await gracefulShutdown()
            log.add("user ended")
        }
    }

    func run(_ stack: ResourceStack, _ log: Log, userFails: Bool) async throws {
        let services = stack.services + [.init(service: User(log: log, fails: userFails),
                                               failureTerminationBehavior: .gracefullyShutdownGroup)]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if !userFails {
                try await Task.sleep(for: .milliseconds(100))
                await group.triggerGracefulShutdown()
            }
            try await tasks.waitForAll()
        }
    }

    @Test func aGracefulShutdownClosesThemAfterTheirUsersLastOpenedFirst() async throws {
        let log = Log()
        let stack = stack(log)
        try await run(stack, log, userFails: false)
        await stack.closeAll()                                  // nothing is closed twice
        #expect(log.all == ["user ended", "closed engine", "closed status", "closed io"])
    }

    @Test func aFailingServiceStillClosesThemInOrder() async throws {
        let log = Log()
        let stack = stack(log)
        await #expect(throws: User.Broke.self) { try await run(stack, log, userFails: true) }
        await stack.closeAll()
        #expect(log.all == ["user failed", "closed engine", "closed status", "closed io"])
    }

    @Test func aStartUpThatFailsClosesWhatWasOpenedSoFar() async {
        let log = Log()
        let stack = ResourceStack()
        stack.push("io") { log.add("closed io") }
        stack.push("engine") { log.add("closed engine") }
        await stack.closeAll()
        await stack.closeAll()
        #expect(log.all == ["closed engine", "closed io"])
    }
}
