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
    /// (keys are taken only in private chats), updates of other kinds. A private message
    /// without text (a photo, a document) is still an input, with its caption as its text: it
    /// may show a key, and is deleted like any other.
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
        guard let message = update.message, message.chat.isPrivate else { return nil }
        let messageID = String(message.messageID)
        let event: ChatInput.Event =
            if let text = message.text, let command = ChatCommand.parse(text) {
                .command(command, text: text, messageID: messageID)
            } else {
                .message(text: message.text ?? message.caption, messageID: messageID)
            }
        return ChatInput(
            chat: ChatAddress(channel: .telegram, id: String(message.chat.id)),
            event: event,
            languageCode: message.from?.languageCode,
            isPrivate: true
        )
    }
}
