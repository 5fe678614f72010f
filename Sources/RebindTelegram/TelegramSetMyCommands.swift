/// `setMyCommands`: the command menu Telegram shows users, for users whose app is in
/// `languageCode` (an ISO 639-1 code), or for everyone else when it is nil.
public struct TelegramSetMyCommands: TelegramMethod, Equatable {
    public typealias Result = Bool
    public static let name = "setMyCommands"

    public var commands: [TelegramBotCommand]
    public var languageCode: String?

    public init(commands: [TelegramBotCommand], languageCode: String? = nil) {
        self.commands = commands
        self.languageCode = languageCode
    }

    enum CodingKeys: String, CodingKey {
        case commands
        case languageCode = "language_code"
    }
}

/// A command of the bot's menu: its name without the slash, and what it does.
public struct TelegramBotCommand: Codable, Sendable, Equatable {
    public var command: String
    public var description: String

    public init(command: String, description: String) {
        self.command = command
        self.description = description
    }
}
