import NIOCore
import NIOHTTPTypes

/// Closes a connection whose next request (its head and its body, if any) does not arrive in
/// time: from the connection's start, and again from the end of each answer (a keep-alive
/// connection waiting for its next request). The page takes at most `WebServer.maximumConnections` at once, so without this a
/// local user sending one header line every few seconds (slowloris) on that many connections
/// would keep everyone else out for as long as they liked; the idle timeout alone never fires,
/// since bytes keep coming. A stream that is being answered (live updates) has no deadline.
/// The timer exists only while a connection waits: with no client, nothing is scheduled.
final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Plenty for any client that means it (a browser sends a request of this page's size in one
    /// packet or two).
    static let limit = TimeAmount.seconds(10)

    private let limit: TimeAmount
    private var timer: Scheduled<Void>?

    init(limit: TimeAmount = RequestHeadDeadline.limit) { self.limit = limit }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The whole request, body too: a body sent a byte at a time would hold a slot as well.
        if case .end = unwrapInboundIn(data) {
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
    }
}
