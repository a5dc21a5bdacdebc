import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects one HTTP request and hands it to `StabilityAPIModel`; writes the reply, later if
/// the script says slow, or closes the connection if it says reset.
final class StabilityRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let model: StabilityAPIModel
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(key: String, state: ServerStateBox) {
        self.model = StabilityAPIModel(key: key, state: state)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let headers = Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
            let reply = model.handle(method: head.method.rawValue, uri: head.uri, headers: headers, body: body)
            self.head = nil
            body = []
            switch reply {
            case .reset:
                context.close(promise: nil)
            case .response(let status, let responseHeaders, let bytes, let delay):
                let keepAlive = head.isKeepAlive
                let write: () -> Void = { [context] in
                    var h = HTTPHeaders(responseHeaders)
                    h.add(name: "Content-Length", value: "\(bytes.count)")
                    if !keepAlive { h.add(name: "Connection", value: "close") }
                    let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: h)
                    context.write(self.wrapOutboundOut(.head(responseHead)), promise: nil)
                    var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                    buffer.writeBytes(bytes)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                    let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
                    if !keepAlive {
                        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                        done.whenComplete { _ in bound.value.close(promise: nil) }
                    }
                }
                if delay > 0 {
                    // The closure touches the context: bound to its event loop, where it runs.
                    let bound = NIOLoopBound(write, eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay * 1000))) { bound.value() }
                } else {
                    write()
                }
            }
        }
    }
}

enum Reply {
    case response(status: Int, headers: [(String, String)], body: [UInt8], delay: Double)
    case reset
}
