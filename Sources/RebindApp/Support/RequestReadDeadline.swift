import NIOCore
import NIOHTTP1

/// Closes a connection whose request has not arrived in full within `timeout` of its head
/// (`REBIND_HTTP_READ_TIMEOUT_SECONDS`). The idle timeout cannot bound this: every body part
/// counts as activity, so a body sent a byte at a time would hold the connection for as long as
/// the sender likes. Headers trickled in are the idle timeout's (no part is decoded until they
/// are complete). Sits right after the HTTP/1 decoder, where each request's parts pass.
final class RequestReadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                context.close(promise: nil)
            }
        case .body:
            break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
