import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// How long a client may take to send a request (issue 9, finding 4: four uploads trickling one byte a second held
/// every admission slot, and 600 idle connections stayed open).
///
/// - `idleTimeout`: a connection with no request in progress, or whose request head has not fully arrived, is
///   closed after this many seconds without a complete request part. It is Hummingbird's own idle timer, which
///   starts when the connection opens and again after each response, so it is also the header timeout: a head sent
///   a byte at a time is cut when the timer runs out.
/// - `bodyGrace` and `bodyMinimumRate`: once a request head has arrived, its body must keep up an average of
///   `bodyMinimumRate` bytes a second after a grace of `bodyGrace` seconds: by `t` seconds after the head, at least
///   `(t - bodyGrace) × bodyMinimumRate` bytes. A body that falls behind has its connection closed (no answer: the
///   client is not reading one at that pace either), which ends the request and gives its admission slot back.
///   The rule is checked by a timer, not only when bytes come, so a body that stops altogether is cut on time.
public struct ConnectionDeadlines: Sendable, Equatable {
    public var idleTimeout: Double = 20
    public var bodyGrace: Double = 10
    public var bodyMinimumRate: Int = 8 * 1024

    public init(idleTimeout: Double = 20, bodyGrace: Double = 10, bodyMinimumRate: Int = 8 * 1024) {
        self.idleTimeout = idleTimeout
        self.bodyGrace = bodyGrace
        self.bodyMinimumRate = bodyMinimumRate
    }

    /// Seconds a body of `bytes` bytes may have taken so far and still be on time.
    func allowance(forBytes bytes: Int) -> Double {
        bodyGrace + Double(bytes) / Double(max(1, bodyMinimumRate))
    }

    /// The HTTP/1.1 server with both rules.
    func serverBuilder(logger: Logger) -> HTTPServerBuilder {
        let deadlines = self
        return .http1(configuration: .init(
            additionalChannelHandlers: [RequestBodyDeadlineHandler(deadlines: deadlines, logger: logger)],
            idleTimeout: .milliseconds(Int64(max(0.001, idleTimeout) * 1000))))
    }
}

/// Closes a connection whose request body falls behind `ConnectionDeadlines`' minimum rate. It sits after the HTTP
/// decoder and sees request parts: the clock starts at a head and stops at its end.
final class RequestBodyDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let deadlines: ConnectionDeadlines
    let logger: Logger
    private var bodyStart: NIODeadline?
    private var bodyBytes = 0
    private var check: Scheduled<Void>?

    init(deadlines: ConnectionDeadlines, logger: Logger) {
        self.deadlines = deadlines
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            bodyStart = .now()
            bodyBytes = 0
            schedule(context)
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
        case .end:
            bodyStart = nil
            check?.cancel()
            check = nil
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    /// Checks once a second (or at the grace's end, if sooner) while a body is being received.
    private func schedule(_ context: ChannelHandlerContext) {
        check?.cancel()
        let interval = TimeAmount.milliseconds(Int64(min(1, max(0.05, deadlines.bodyGrace)) * 1000))
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(in: interval) {
            handler.value.tick(loopBound.value)
        }
    }

    private func tick(_ context: ChannelHandlerContext) {
        check = nil
        guard let start = bodyStart, context.channel.isActive else { return }
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        if elapsed > deadlines.allowance(forBytes: bodyBytes) {
            logger.notice("request body too slow; closing the connection", metadata: [
                "bytes": "\(bodyBytes)", "seconds": "\(String(format: "%.1f", elapsed))",
                "minimum_rate": "\(deadlines.bodyMinimumRate)", "grace": "\(deadlines.bodyGrace)",
            ])
            bodyStart = nil
            context.close(promise: nil)
            return
        }
        schedule(context)
    }
}
