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
