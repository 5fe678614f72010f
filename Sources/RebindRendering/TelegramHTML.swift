/// Escaping for Telegram's HTML parse mode, for text the bot writes outside the templates.
/// Telegram asks for the same three characters as Slack's mrkdwn (`&`, `<`, `>`).
public enum TelegramHTML {
    public static func escape(_ text: String) -> String {
        Mrkdwn.escape(text)
    }
}
