/// `sendMessage`: a text message, optionally with inline buttons.
public struct TelegramSendMessage: TelegramMethod, Equatable {
    public typealias Result = TelegramMessage
    public static let name = "sendMessage"

    public var chatID: Int64
    /// 1–4096 characters after entity parsing.
    public var text: String
    /// `HTML` for Rebind's templates; nil for plain text.
    public var parseMode: String?
    public var linkPreviewOptions: TelegramLinkPreviewOptions?
    public var replyMarkup: TelegramInlineKeyboardMarkup?
    /// True to send past the free broadcast limit (about 30 messages a second), up to 1,000 a
    /// second, paid in Telegram Stars from the bot's balance. Left out when nil.
    public var allowPaidBroadcast: Bool?

    public init(
        chatID: Int64,
        text: String,
        parseMode: String? = "HTML",
        linkPreviewOptions: TelegramLinkPreviewOptions? = .disabled,
        replyMarkup: TelegramInlineKeyboardMarkup? = nil,
        allowPaidBroadcast: Bool? = nil
    ) {
        self.chatID = chatID
        self.text = text
        self.parseMode = parseMode
        self.linkPreviewOptions = linkPreviewOptions
        self.replyMarkup = replyMarkup
        self.allowPaidBroadcast = allowPaidBroadcast
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case text
        case parseMode = "parse_mode"
        case linkPreviewOptions = "link_preview_options"
        case replyMarkup = "reply_markup"
        case allowPaidBroadcast = "allow_paid_broadcast"
    }
}
