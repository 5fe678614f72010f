import RebindTelegram

extension FakeTelegramServer {
    /// A message visible in a chat: the bot's (with its markup and buttons) or the user's.
    public struct ChatMessage: Sendable, Equatable {
        /// One state of a message's content; `history` keeps those an edit replaced.
        public struct Version: Sendable, Equatable {
            /// The text as the user sees it, markup turned into formatting.
            public var text: String
            /// The text as sent, HTML markup included.
            public var sentText: String
            public var parseMode: String?
            public var replyMarkup: TelegramInlineKeyboardMarkup?
        }

        public var messageID: Int64
        public var chatID: Int64
        public var fromBot: Bool
        public var current: Version
        /// Earlier versions, oldest first: one per edit.
        public var history: [Version]
        public var linkPreviewDisabled: Bool
        /// Unix time, seconds.
        public var date: Int64
        public var editDate: Int64?

        public var text: String { current.text }
        public var sentText: String { current.sentText }
        public var replyMarkup: TelegramInlineKeyboardMarkup? { current.replyMarkup }
        /// Every button's `callback_data`, row by row.
        public var callbackData: [String] {
            (replyMarkup?.inlineKeyboard ?? []).flatMap { $0 }.compactMap(\.callbackData)
        }
        /// Every Mini App button's URL (`web_app.url`), row by row.
        public var webAppURLs: [String] {
            (replyMarkup?.inlineKeyboard ?? []).flatMap { $0 }.compactMap(\.webApp?.url)
        }
    }

    /// The webhook as `setWebhook` left it.
    public struct Webhook: Sendable, Equatable {
        public var url: String
        public var secretToken: String?
        public var allowedUpdates: [String]?

        public init(url: String, secretToken: String?, allowedUpdates: [String]?) {
            self.url = url
            self.secretToken = secretToken
            self.allowedUpdates = allowedUpdates
        }
    }

    /// An `answerCallbackQuery` call.
    public struct CallbackAnswer: Sendable, Equatable {
        public var callbackQueryID: String
        public var text: String?
        public var showAlert: Bool

        public init(callbackQueryID: String, text: String?, showAlert: Bool) {
            self.callbackQueryID = callbackQueryID
            self.text = text
            self.showAlert = showAlert
        }
    }
}
