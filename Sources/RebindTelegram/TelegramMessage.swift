/// A message (Bot API `Message`), as far as Rebind reads it.
///
/// A callback query's message may be inaccessible (older than 48 hours): Telegram then sends
/// only `chat`, `message_id` and `date` 0, which this type also decodes.
public struct TelegramMessage: Codable, Sendable, Equatable {
    public var messageID: Int64
    /// The sender; absent for messages in channels.
    public var from: TelegramUser?
    public var chat: TelegramChat
    /// Unix time, seconds.
    public var date: Int64
    /// Unix time of the last edit, seconds.
    public var editDate: Int64?
    /// The text without markup: Telegram turns HTML into entities.
    public var text: String?
    /// A photo's, document's or other media's caption.
    public var caption: String?
    /// The inline keyboard attached to the message.
    public var replyMarkup: TelegramInlineKeyboardMarkup?

    public init(
        messageID: Int64,
        from: TelegramUser? = nil,
        chat: TelegramChat,
        date: Int64,
        editDate: Int64? = nil,
        text: String? = nil,
        caption: String? = nil,
        replyMarkup: TelegramInlineKeyboardMarkup? = nil
    ) {
        self.messageID = messageID
        self.from = from
        self.chat = chat
        self.date = date
        self.editDate = editDate
        self.text = text
        self.caption = caption
        self.replyMarkup = replyMarkup
    }

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case from, chat, date
        case editDate = "edit_date"
        case text, caption
        case replyMarkup = "reply_markup"
    }
}
