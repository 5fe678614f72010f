/// `editMessageText`: replaces a sent message's text and inline buttons. Buttons left out
/// (nil `replyMarkup`) are removed from the message.
public struct TelegramEditMessageText: TelegramMethod, Equatable {
    public typealias Result = TelegramMessage
    public static let name = "editMessageText"

    public var chatID: Int64
    public var messageID: Int64
    public var text: String
    public var parseMode: String?
    public var linkPreviewOptions: TelegramLinkPreviewOptions?
    public var replyMarkup: TelegramInlineKeyboardMarkup?

    public init(
        chatID: Int64,
        messageID: Int64,
        text: String,
        parseMode: String? = "HTML",
        linkPreviewOptions: TelegramLinkPreviewOptions? = .disabled,
        replyMarkup: TelegramInlineKeyboardMarkup? = nil
    ) {
        self.chatID = chatID
        self.messageID = messageID
        self.text = text
        self.parseMode = parseMode
        self.linkPreviewOptions = linkPreviewOptions
        self.replyMarkup = replyMarkup
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case messageID = "message_id"
        case text
        case parseMode = "parse_mode"
        case linkPreviewOptions = "link_preview_options"
        case replyMarkup = "reply_markup"
    }
}
