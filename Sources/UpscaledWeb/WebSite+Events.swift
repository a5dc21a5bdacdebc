import Foundation
import Hummingbird
import NIOCore
import Synchronization
import UpscaledCore
import UpscaledDaemon

/// The open event streams (`GET /api/events`), so a graceful shutdown can end them: the
/// server waits for every request to finish, and a stream never would by itself. Once ended,
/// no stream opens again: a browser's `EventSource` reconnects by itself a few seconds after
/// its stream ends, and a stream opened during the shutdown would hold it up for good.
final class EventStreams: Sendable {
    private let state = Mutex<(open: [UInt64: AsyncStream<ByteBuffer>.Continuation], ended: Bool)>(([:], false))
    private let next = Atomic<UInt64>(0)

    /// A token for the next stream (to remove it by, whether it was added or not).
    func token() -> UInt64 { next.add(1, ordering: .relaxed).newValue }

    /// Adds the stream; false once `endAll` has run (the daemon is stopping).
    func add(_ continuation: AsyncStream<ByteBuffer>.Continuation, token: UInt64) -> Bool {
        state.withLock { state in
            guard !state.ended else { return false }
            state.open[token] = continuation
            return true
        }
    }

    func remove(_ token: UInt64) { _ = state.withLock { $0.open.removeValue(forKey: token) } }

    func endAll() {
        let open = state.withLock { state in
            state.ended = true
            return Array(state.open.values)
        }
        for continuation in open { continuation.finish() }
    }
}

extension WebSite {
    /// Server-Sent Events: `status` with each snapshot the status board publishes (at most
    /// every half second while something changes, nothing while idle), `job` with each job the
    /// history records, and a comment every 25 s while the client is connected (so a client
    /// gone away is noticed). With no page open, none of this exists.
    func events() -> Response {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let status = parts.status
        let history = parts.history
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        @Sendable func event(_ name: String, _ data: Data?) -> ByteBuffer {
            // JSON has no raw newlines (they are escaped in strings): one data line.
            ByteBuffer(string: "event: \(name)\ndata: \(String(decoding: data ?? Data("{}".utf8), as: UTF8.self))\n\n")
        }
        continuation.yield(event("status", try? encoder.encode(status.snapshot)))
        let statusToken = status.observe { continuation.yield(event("status", try? encoder.encode($0))) }
        let historyToken = history.observe { continuation.yield(event("job", try? encoder.encode(JobJSON($0)))) }
        let keepAlive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(25))
                continuation.yield(ByteBuffer(string: ": still here\n\n"))
            }
        }
        let streams = self.streams
        let streamToken = streams.token()
        continuation.onTermination = { _ in
            status.removeObserver(statusToken)
            history.removeObserver(historyToken)
            keepAlive.cancel()
            streams.remove(streamToken)
        }
        guard streams.add(continuation, token: streamToken) else {
            continuation.finish()                       // its observers and timer go with it
            return WebSite.problem(.serviceUnavailable, "the daemon is stopping")
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                        body: ResponseBody { writer in
                            defer { continuation.finish() }
                            for await chunk in stream { try await writer.write(chunk) }
                            try await writer.finish(nil)
                        })
    }
}
