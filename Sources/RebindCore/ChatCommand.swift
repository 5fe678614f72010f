/// A command typed in a chat: `/start <token>`, `/update [account]`, `/keys` (`/status`),
/// `/language [tag]`, `/unlink`, `/cancel`, `/help`. Telegram may append the bot's name
/// (`/update@RebindBot`).
public enum ChatCommand: Sendable, Equatable {
    case start(token: String?)
    case update(account: String?)
    /// `/keys`, and its older name `/status`.
    case keys
    case language(tag: String?)
    /// Detach this chat from its platform user (after a confirmation).
    case unlink
    case cancel
    case help

    /// The commands a user sees in the bot's menu, in order.
    public static let menu = ["update", "keys", "language", "unlink", "cancel", "help"]

    /// The command in a message, or nil for ordinary text (such as a pasted key).
    public static func parse(_ text: String) -> ChatCommand? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("/") else { return nil }
        let parts = trimmed.split(maxSplits: 1, whereSeparator: \.isWhitespace)
        guard let head = parts.first else { return nil }
        let name = head.dropFirst().split(separator: "@", maxSplits: 1).first.map { String($0).lowercased() } ?? ""
        let argument = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespacesAndNewlines) : nil
        switch name {
        case "start": return .start(token: argument)
        case "update": return .update(account: argument)
        case "keys", "status": return .keys
        case "language": return .language(tag: argument)
        case "unlink": return .unlink
        case "cancel": return .cancel
        case "help": return .help
        default: return nil
        }
    }

    /// A Slack `/rebind …` command's text: `update [account]`, `keys`, `language [tag]`,
    /// `unlink`, `help`, `cancel` or `link <token>` (Telegram's `/start <token>`). Empty text asks for help.
    public static func parseSlack(_ text: String) -> ChatCommand? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return .help }
        let parts = trimmed.split(maxSplits: 1, whereSeparator: \.isWhitespace)
        let name = parts[0].lowercased()
        let argument = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespacesAndNewlines) : nil
        if name == "link" { return .start(token: argument) }
        if name == "start" { return nil }
        return parse("/" + name + (argument.map { " " + $0 } ?? ""))
    }
}
