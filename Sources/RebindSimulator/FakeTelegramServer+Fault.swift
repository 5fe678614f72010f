import RebindTelegram

extension FakeTelegramServer {
    /// A misbehaviour to answer calls with, instead of doing what they ask.
    public enum Fault: Sendable, Equatable {
        /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
        case tooManyRequests(retryAfter: Int)
        /// A Bot API refusal: `{"ok":false,"error_code":code,"description":…}` with that status.
        case refuse(errorCode: Int, description: String)
        /// 500 as Bot API JSON; 502, 503 and 504 as the HTML page of Telegram's front proxy.
        case serverError(status: Int)
        /// 200 with a body cut off in the middle of the JSON.
        case malformedAnswer
        /// Never answers.
        case hang
        /// Closes the connection without answering; the call is not carried out.
        case drop
        /// Carries the call out, then closes the connection without answering: the message
        /// is in the chat although the sender saw a failure.
        case dropAfterApplying

        /// 403: the user blocked the bot.
        public static let blocked = Fault.refuse(errorCode: 403, description: "Forbidden: bot was blocked by the user")
        /// 403: the user never pressed Start.
        public static let cannotInitiateConversation = Fault.refuse(
            errorCode: 403,
            description: "Forbidden: bot can't initiate conversation with a user"
        )
        /// 400 on `deleteMessage`: too old, or not the bot's to delete.
        public static let messageCannotBeDeleted = Fault.refuse(errorCode: 400, description: "Bad Request: message can't be deleted")
    }

    /// A fault and the calls it applies to.
    struct FaultRule: Sendable {
        var fault: Fault
        /// Calls left to answer with it; nil for every call until cleared.
        var remaining: Int?
        /// Lowercased method name; nil for every method.
        var method: String?
        var chatID: Int64?

        func applies(to method: String, chatID: Int64?) -> Bool {
            (self.method == nil || self.method == method.lowercased()) && (self.chatID == nil || self.chatID == chatID)
        }
    }
}
