/// One chat on one platform: a Telegram chat id, or a Slack user's DM in a workspace.
public struct ChatAddress: Codable, Sendable, Hashable, CustomStringConvertible {
    public var channel: Channel
    public var id: String

    public init(channel: Channel, id: String) {
        self.channel = channel
        self.id = id
    }

    public var description: String { "\(channel.rawValue):\(id)" }
}

extension ChatAddress {
    /// Reads the `channel:id` form `description` writes, as the stores keep it.
    public init?(storageKey: String) {
        guard let colon = storageKey.firstIndex(of: ":"), let channel = Channel(rawValue: String(storageKey[..<colon])) else { return nil }
        self.init(channel: channel, id: String(storageKey[storageKey.index(after: colon)...]))
    }
}
