/// Buttons under a message (Bot API `InlineKeyboardMarkup`): rows of buttons.
public struct TelegramInlineKeyboardMarkup: Codable, Sendable, Equatable {
    public var inlineKeyboard: [[TelegramInlineKeyboardButton]]

    public init(inlineKeyboard: [[TelegramInlineKeyboardButton]]) {
        self.inlineKeyboard = inlineKeyboard
    }

    enum CodingKeys: String, CodingKey {
        case inlineKeyboard = "inline_keyboard"
    }
}

extension TelegramInlineKeyboardMarkup {
    /// What Telegram would refuse in these buttons, checked before sending; nil when fine.
    public var problem: String? {
        for (rowIndex, row) in inlineKeyboard.enumerated() {
            for (index, button) in row.enumerated() {
                let place = "button \(index + 1) of row \(rowIndex + 1)"
                if button.text.isEmpty { return "\(place) has no text" }
                switch (button.callbackData, button.url ?? button.webApp?.url) {
                case (let data?, nil):
                    let bytes = data.utf8.count
                    if bytes == 0 || bytes > TelegramInlineKeyboardButton.maximumCallbackDataBytes {
                        return
                            "\(place) has \(bytes) bytes of callback data; Telegram takes 1–\(TelegramInlineKeyboardButton.maximumCallbackDataBytes)"
                    }
                case (nil, let url?):
                    if url.isEmpty { return "\(place) has an empty URL" }
                    if button.url != nil, button.webApp != nil { return "\(place) has both a URL and a web app" }
                default:
                    return "\(place) needs exactly one of callback data, a URL and a web app"
                }
            }
        }
        return nil
    }
}
