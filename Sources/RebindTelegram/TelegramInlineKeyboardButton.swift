/// One inline button (Bot API `InlineKeyboardButton`): exactly one of `callbackData` and `url`.
public struct TelegramInlineKeyboardButton: Codable, Sendable, Equatable {
    public var text: String
    /// Sent back in a callback query when tapped: 1–64 bytes.
    public var callbackData: String?
    /// Opened when tapped.
    public var url: String?

    /// The most bytes Telegram takes in `callback_data`.
    public static let maximumCallbackDataBytes = 64

    public static func callback(_ text: String, data: String) -> TelegramInlineKeyboardButton {
        TelegramInlineKeyboardButton(text: text, callbackData: data, url: nil)
    }

    public static func url(_ text: String, url: String) -> TelegramInlineKeyboardButton {
        TelegramInlineKeyboardButton(text: text, callbackData: nil, url: url)
    }

    public init(text: String, callbackData: String?, url: String?) {
        self.text = text
        self.callbackData = callbackData
        self.url = url
    }

    enum CodingKeys: String, CodingKey {
        case text
        case callbackData = "callback_data"
        case url
    }
}
