import Foundation
import RebindCore

/// `ChatMessenger` for Telegram: messages in HTML parse mode with link previews off,
/// buttons as an inline keyboard, the chat id as `ChatAddress.id` and the message id as the
/// returned `String`.
public struct TelegramMessenger: ChatMessenger {
    public let channel = Channel.telegram
    public let client: TelegramClient
    /// Sends with `allow_paid_broadcast` (`REBIND_TELEGRAM_PAID_BROADCAST`).
    public let paidBroadcast: Bool

    public init(client: TelegramClient, paidBroadcast: Bool = false) {
        self.client = client
        self.paidBroadcast = paidBroadcast
    }

    public func send(_ message: OutgoingMessage, to chat: ChatAddress) async throws(DeliveryError) -> String {
        let chatID = try Self.chatID(of: chat)
        let (text, parseMode, markup) = try Self.parts(of: message)
        do {
            let sent = try await client.sendMessage(
                TelegramSendMessage(
                    chatID: chatID,
                    text: text,
                    parseMode: parseMode,
                    replyMarkup: markup,
                    allowPaidBroadcast: paidBroadcast ? true : nil
                )
            )
            return String(sent.messageID)
        } catch {
            throw error.deliveryError
        }
    }

    public func edit(messageID: String, in chat: ChatAddress, to message: OutgoingMessage) async throws(DeliveryError) {
        let chatID = try Self.chatID(of: chat)
        let id = try Self.messageID(messageID)
        let (text, parseMode, markup) = try Self.parts(of: message)
        do {
            try await client.editMessageText(
                TelegramEditMessageText(chatID: chatID, messageID: id, text: text, parseMode: parseMode, replyMarkup: markup)
            )
        } catch {
            throw error.deliveryError
        }
    }

    /// Telegram refuses with 400 "message can't be deleted" (too old, or not the bot's to
    /// delete): `.permanent`, so the user can be asked to delete it. "message to delete not
    /// found" means it is gone already (deleted by the user, or by an earlier try of the same
    /// input): that is what was wanted.
    public func delete(messageID: String, in chat: ChatAddress) async throws(DeliveryError) {
        let chatID = try Self.chatID(of: chat)
        let id = try Self.messageID(messageID)
        do {
            try await client.deleteMessage(chatID: chatID, messageID: id)
        } catch {
            if case .refused(_, 400, let description, _) = error, description.lowercased().contains("message to delete not found") { return }
            throw error.deliveryError
        }
    }

    public func acknowledge(interactionID: String, text: String?) async throws(DeliveryError) {
        do {
            try await client.answerCallbackQuery(TelegramAnswerCallbackQuery(callbackQueryID: interactionID, text: text))
        } catch {
            throw error.deliveryError
        }
    }

    /// `getMe`: the token works again when Telegram answers it.
    public func probe(workspace: String?) async throws(DeliveryError) {
        do {
            _ = try await client.getMe()
        } catch {
            throw error.deliveryError
        }
    }

    // MARK: Translation

    static func chatID(of chat: ChatAddress) throws(DeliveryError) -> Int64 {
        guard chat.channel == .telegram else {
            throw .permanent(reason: "\(chat) is not a Telegram chat")
        }
        guard let id = Int64(chat.id) else {
            throw .permanent(reason: "Telegram chat ids are integers, not \"\(chat.id)\"")
        }
        return id
    }

    static func messageID(_ text: String) throws(DeliveryError) -> Int64 {
        guard let id = Int64(text) else {
            throw .permanent(reason: "Telegram message ids are integers, not \"\(text)\"")
        }
        return id
    }

    /// The text, parse mode and keyboard for a message; refuses what Telegram would refuse.
    static func parts(of message: OutgoingMessage) throws(DeliveryError) -> (String, String?, TelegramInlineKeyboardMarkup?) {
        let parseMode: String?
        switch message.format {
        case .html: parseMode = "HTML"
        case .plain: parseMode = nil
        case .mrkdwn: throw .permanent(reason: "Telegram can't show Slack mrkdwn; render the Telegram (HTML) template")
        }
        let markup = keyboard(message.buttons)
        if let problem = markup?.problem { throw .permanent(reason: problem) }
        return (message.text, parseMode, markup)
    }

    /// Rows of buttons as an inline keyboard; nil without buttons, which also removes any
    /// buttons from an edited message.
    static func keyboard(_ rows: [[OutgoingMessage.Button]]) -> TelegramInlineKeyboardMarkup? {
        let keyboard = rows.filter { !$0.isEmpty }.map { row in
            row.map { button in
                switch button {
                case .callback(let title, let data): TelegramInlineKeyboardButton.callback(title, data: data)
                case .url(let title, let url): TelegramInlineKeyboardButton.url(title, url: url)
                case .webApp(let title, let url): TelegramInlineKeyboardButton.webApp(title, url: url)
                }
            }
        }
        return keyboard.isEmpty ? nil : TelegramInlineKeyboardMarkup(inlineKeyboard: keyboard)
    }
}
