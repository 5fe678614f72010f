import RebindCore
import Synchronization

/// The DM channel (`D…`) of each Slack address, as `conversations.open` returned it, so a
/// message costs one call, not two. Forgotten when Slack says the channel is gone.
public final class SlackDirectChannels: Sendable {
    private let channels = Mutex<[ChatAddress: String]>([:])

    public init() {}

    public func channel(for address: ChatAddress) -> String? {
        channels.withLock { $0[address] }
    }

    public func remember(_ channel: String, for address: ChatAddress) {
        channels.withLock { $0[address] = channel }
    }

    public func forget(_ address: ChatAddress) {
        _ = channels.withLock { $0.removeValue(forKey: address) }
    }
}
