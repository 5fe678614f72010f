/// One incoming update (Bot API `Update`), as Telegram posts it to the webhook or returns it
/// from `getUpdates`. Only the kinds Rebind asks for are modelled; other fields are ignored.
public struct TelegramUpdate: Codable, Sendable, Equatable {
    /// Increases by one per update; the webhook deduplicates on it, polling confirms with it.
    public var updateID: Int64
    /// A new message in a chat: a command, or a pasted key.
    public var message: TelegramMessage?
    /// A tap on one of the bot's inline buttons.
    public var callbackQuery: TelegramCallbackQuery?

    /// The update kinds Rebind handles, for `allowed_updates`.
    public static let handledKinds = ["message", "callback_query"]

    public init(updateID: Int64, message: TelegramMessage? = nil, callbackQuery: TelegramCallbackQuery? = nil) {
        self.updateID = updateID
        self.message = message
        self.callbackQuery = callbackQuery
    }

    enum CodingKeys: String, CodingKey {
        case updateID = "update_id"
        case message
        case callbackQuery = "callback_query"
    }
}
