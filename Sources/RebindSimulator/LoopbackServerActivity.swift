import NIOCore
import Synchronization

/// What a loopback server has seen: its connections and requests. Written from the
/// server's event loops and tasks, read by tests.
final class LoopbackServerActivity: Sendable {
    private let state = Mutex(State())

    private struct State {
        var requests: [RecordedRequest] = []
        var acceptedConnections = 0
        var openChannels: [ObjectIdentifier: any Channel] = [:]
    }

    /// Counts a new connection and keeps it until it closes; returns its number.
    func accepted(_ channel: any Channel) -> Int {
        let number = state.withLock { state in
            state.acceptedConnections += 1
            state.openChannels[ObjectIdentifier(channel)] = channel
            return state.acceptedConnections
        }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.openChannels.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return number
    }

    func record(_ request: RecordedRequest) {
        state.withLock { $0.requests.append(request) }
    }

    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    var acceptedConnections: Int { state.withLock { $0.acceptedConnections } }
    var openChannels: [any Channel] { state.withLock { Array($0.openChannels.values) } }
}
