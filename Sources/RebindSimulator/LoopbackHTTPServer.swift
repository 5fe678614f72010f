import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 and an ephemeral port, standing in for the outside
/// world in adapter tests. It records every request and answers with what the handler
/// returns; connections are kept alive between requests, as real servers do, so a client's
/// connection reuse shows in `acceptedConnections`.
///
/// Fake Telegram, Slack, exchange and platform servers are handlers on top of this one.
public final class LoopbackHTTPServer: Sendable {
    public typealias Handler = @Sendable (RecordedRequest) async -> FakeReply

    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    private let activity: LoopbackServerActivity
    private let listener: any Channel
    private let acceptLoop: Task<Void, Never>

    private init(port: Int, activity: LoopbackServerActivity, listener: any Channel, acceptLoop: Task<Void, Never>) {
        self.port = port
        self.activity = activity
        self.listener = listener
        self.acceptLoop = acceptLoop
    }

    /// Starts listening; call `shutdown()` when done, or use `withServer`.
    public static func start(handler: @escaping Handler) async throws -> LoopbackHTTPServer {
        let activity = LoopbackServerActivity()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = activity.accepted(channel)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel
                    )
                    return LoopbackHTTPConnection(number: number, channel: connection)
                }
            }
        guard let port = server.channel.localAddress?.port else {
            server.channel.close(promise: nil)
            throw Error.noPort
        }
        // The accept loop runs until `shutdown()` closes the listener and cancels it.
        let acceptLoop = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await connection.serve(handler: handler, activity: activity) }
                        }
                    }
                } catch {
                    // The listener closed under the loop: that is how it ends.
                }
            }
        }
        return LoopbackHTTPServer(port: port, activity: activity, listener: server.channel, acceptLoop: acceptLoop)
    }

    /// Runs `body` with a started server, and shuts the server down afterwards, whether
    /// `body` returned or threw.
    public static func withServer<Result: Sendable>(
        handler: @escaping Handler,
        _ body: (LoopbackHTTPServer) async throws -> Result
    ) async throws -> Result {
        try await withShutdown(try await start(handler: handler), shutdown: { try await $0.shutdown() }, body)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in the order they arrived.
    public func requests() -> [RecordedRequest] { activity.requests }

    /// TCP connections accepted so far.
    public var acceptedConnections: Int { activity.acceptedConnections }

    /// Stops listening and closes every connection, hanging ones included.
    public func shutdown() async throws {
        listener.close(promise: nil)
        for channel in activity.openChannels { channel.close(promise: nil) }
        acceptLoop.cancel()
        await acceptLoop.value
    }

    /// A loopback port where connections are refused, and stay refused: a socket is bound to
    /// it (never listening) for the rest of the process, so no server started meanwhile — by
    /// a test running alongside — can take it. (A port merely found free and closed again
    /// could be handed to the next server that binds port 0.)
    public static func unusedPort() async throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Error.noPort }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            close(descriptor)
            throw Error.noPort
        }
        // Kept open on purpose: the port is this process's until it exits.
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case noPort

        public var description: String {
            switch self {
            case .noPort: "the loopback server's socket has no port"
            }
        }
    }
}
