/// `answerCallbackQuery`: stops the button's spinner, optionally with a notice.
public struct TelegramAnswerCallbackQuery: TelegramMethod, Equatable {
    public typealias Result = Bool
    public static let name = "answerCallbackQuery"

    public var callbackQueryID: String
    /// A short notice shown at the top of the chat (0–200 characters).
    public var text: String?
    /// Shows the notice as an alert the user must dismiss.
    public var showAlert: Bool?

    public init(callbackQueryID: String, text: String? = nil, showAlert: Bool? = nil) {
        self.callbackQueryID = callbackQueryID
        self.text = text
        self.showAlert = showAlert
    }

    enum CodingKeys: String, CodingKey {
        case callbackQueryID = "callback_query_id"
        case text
        case showAlert = "show_alert"
    }
}
