import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP connection to a loopback port, for what an HTTP client library will not do:
/// send a `Host` of our choosing, leave a connection idle, trickle a header a byte at a time,
/// and see when the server closes it.
public struct RawTCPConnection {
    /// How a read ended.
    public struct Received: Sendable {
        public var bytes: [UInt8]
        /// The server closed the connection (rather than the caller's bound running out).
        public var closedByServer: Bool
        /// From the start of the read to its end.
        public var elapsed: Duration

        public var text: String { String(decoding: bytes, as: UTF8.self) }
        /// The first line of the first response, e.g. `HTTP/1.1 200 OK`.
        public var statusLine: String { String(text.prefix { $0 != "\r" }) }
    }

    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Connects to `127.0.0.1:port`, runs `body`, and closes the connection.
    public static func with<Result: Sendable>(
        port: Int,
        _ body: (inout RawTCPConnection) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawTCPConnection(channel: channel, writer: outbound, iterator: inbound.makeAsyncIterator())
            return try await body(&connection)
        }
    }

    public let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator

    public func write(_ text: String) async throws {
        try await writer.write(ByteBuffer(string: text))
    }

    /// Reads until the server closes the connection or `bound` passes, whichever is first.
    /// The bound is an upper limit for a test that went wrong, not a wait for something to happen.
    public mutating func readUntilClosed(bound: Duration) async -> Received {
        let clock = ContinuousClock()
        let start = clock.now
        let timedOut = TimedOut()
        let underlying = channel.channel
        var bytes: [UInt8] = []
        // The timer is a child task: it never outlives the read, whichever ends first.
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard (try? await Task.sleep(for: bound)) != nil else { return }
                timedOut.flag.store(true, ordering: .sequentiallyConsistent)
                underlying.close(promise: nil)
            }
            do {
                while let chunk = try await iterator.next() {
                    bytes += chunk.readableBytesView
                }
            } catch {
                // A reset from the server is a close too.
            }
            group.cancelAll()
        }
        return Received(bytes: bytes, closedByServer: !timedOut.flag.load(ordering: .sequentiallyConsistent), elapsed: clock.now - start)
    }

    /// Reads one response with a `Content-Length` (or none, then its head), or until the
    /// server closes the connection. Returns what was read.
    public mutating func readResponse() async throws -> String {
        var bytes: [UInt8] = []
        while let chunk = try await iterator.next() {
            bytes += chunk.readableBytesView
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text[end.upperBound...].utf8.count >= length { return text }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Whether a read's bound ran out, shared with the timer that closes the connection.
private final class TimedOut: Sendable {
    let flag = Atomic(false)
}
