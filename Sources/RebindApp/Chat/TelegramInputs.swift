import Foundation
import RebindCore
import RebindTelegram

/// Telegram's side of the one road: an update becomes a `ChatInput`.
enum TelegramInputs {
    /// The chat an update belongs to: its lane.
    static func chat(of update: TelegramUpdate) -> ChatAddress? {
        (update.callbackQuery?.message?.chat ?? update.message?.chat).map { ChatAddress(channel: .telegram, id: String($0.id)) }
    }

    /// The input an update is, or nil for what Rebind does not handle: messages in groups
    /// (keys are taken only in private chats), messages without text, updates of other kinds.
    static func input(from update: TelegramUpdate) -> ChatInput? {
        if let query = update.callbackQuery {
            guard let chat = query.message?.chat else { return nil }
            return ChatInput(
                chat: ChatAddress(channel: .telegram, id: String(chat.id)),
                event: .tap(query.data.flatMap(ButtonAction.parse), interactionID: query.id),
                languageCode: query.from.languageCode,
                isPrivate: chat.isPrivate
            )
        }
        guard let message = update.message, let text = message.text, message.chat.isPrivate else { return nil }
        let messageID = String(message.messageID)
        let event: ChatInput.Event =
            if let command = ChatCommand.parse(text) {
                .command(command, messageID: messageID)
            } else {
                .message(text: text, messageID: messageID)
            }
        return ChatInput(
            chat: ChatAddress(channel: .telegram, id: String(message.chat.id)),
            event: event,
            languageCode: message.from?.languageCode,
            isPrivate: true
        )
    }
}
