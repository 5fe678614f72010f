/// One inline button (Bot API `InlineKeyboardButton`): exactly one of `callbackData`, `url`
/// and `webApp`.
public struct TelegramInlineKeyboardButton: Codable, Sendable, Equatable {
    public var text: String
    /// Sent back in a callback query when tapped: 1–64 bytes.
    public var callbackData: String?
    /// Opened when tapped.
    public var url: String?
    /// A Mini App opened inside Telegram when tapped (private chats only; an `https` URL).
    public var webApp: WebAppInfo?

    /// Bot API `WebAppInfo`.
    public struct WebAppInfo: Codable, Sendable, Equatable {
        public var url: String

        public init(url: String) {
            self.url = url
        }
    }

    /// The most bytes Telegram takes in `callback_data`.
    public static let maximumCallbackDataBytes = 64

    public static func callback(_ text: String, data: String) -> TelegramInlineKeyboardButton {
        TelegramInlineKeyboardButton(text: text, callbackData: data, url: nil)
    }

    public static func url(_ text: String, url: String) -> TelegramInlineKeyboardButton {
        TelegramInlineKeyboardButton(text: text, callbackData: nil, url: url)
    }

    public static func webApp(_ text: String, url: String) -> TelegramInlineKeyboardButton {
        TelegramInlineKeyboardButton(text: text, callbackData: nil, url: nil, webApp: WebAppInfo(url: url))
    }

    public init(text: String, callbackData: String?, url: String?, webApp: WebAppInfo? = nil) {
        self.text = text
        self.callbackData = callbackData
        self.url = url
        self.webApp = webApp
    }

    enum CodingKeys: String, CodingKey {
        case text
        case callbackData = "callback_data"
        case url
        case webApp = "web_app"
    }
}
