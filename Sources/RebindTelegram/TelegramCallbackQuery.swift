/// A tap on an inline callback button (Bot API `CallbackQuery`). Always answer it with
/// `answerCallbackQuery`, or the user's app keeps showing a spinner.
public struct TelegramCallbackQuery: Codable, Sendable, Equatable {
    /// What `answerCallbackQuery` answers.
    public var id: String
    public var from: TelegramUser
    /// The message with the button; absent for inline-mode messages.
    public var message: TelegramMessage?
    /// Identifies the chat the message was in; Telegram always sends it.
    public var chatInstance: String?
    /// The button's `callback_data`.
    public var data: String?

    public init(id: String, from: TelegramUser, message: TelegramMessage? = nil, chatInstance: String? = nil, data: String? = nil) {
        self.id = id
        self.from = from
        self.message = message
        self.chatInstance = chatInstance
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case id, from, message
        case chatInstance = "chat_instance"
        case data
    }
}
