/// `chat.postEphemeral`: a message only `user` sees, in a channel they are in (answers to
/// `/rebind` typed outside the DM).
public struct SlackPostEphemeral: SlackMethod, Equatable {
    public static let name = "chat.postEphemeral"

    public var channel: String
    public var user: String
    public var text: String
    public var blocks: [SlackBlock]?

    public init(channel: String, user: String, text: String, blocks: [SlackBlock]? = nil) {
        self.channel = channel
        self.user = user
        self.text = text
        self.blocks = blocks
    }

    public struct Result: Codable, Sendable, Equatable {
        public var messageTS: String

        public init(messageTS: String) {
            self.messageTS = messageTS
        }

        enum CodingKeys: String, CodingKey {
            case messageTS = "message_ts"
        }
    }
}
