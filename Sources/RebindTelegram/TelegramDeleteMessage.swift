/// `deleteMessage`: in a private chat, the bot may delete its own messages and the user's
/// messages younger than 48 hours.
public struct TelegramDeleteMessage: TelegramMethod, Equatable {
    public typealias Result = Bool
    public static let name = "deleteMessage"

    public var chatID: Int64
    public var messageID: Int64

    public init(chatID: Int64, messageID: Int64) {
        self.chatID = chatID
        self.messageID = messageID
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case messageID = "message_id"
    }
}
