/// Escaping for Telegram's HTML parse mode, for text the bot writes outside the templates.
/// Telegram asks for the same three characters as Slack's mrkdwn (`&`, `<`, `>`).
public enum TelegramHTML {
    public static func escape(_ text: String) -> String {
        Mrkdwn.escape(text)
    }

    /// The text `escape` (or Mustache's HTML escaping) made, back as it was: for plain text,
    /// such as a button's title, rendered from a Telegram template.
    public static func unescape(_ html: String) -> String {
        guard html.contains("&") else { return html }
        var text = html
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"), ("&#34;", "\"")] {
            text = text.replacing(entity, with: character)
        }
        // Last, so "&amp;lt;" becomes "&lt;" and not "<".
        return text.replacing("&amp;", with: "&")
    }

    /// A message rendered for Telegram as plain text: its tags (`<b>`, `<code>`, `<a …>`) go,
    /// their text stays, entities are undone. For a web page that shows it with `textContent`.
    public static func plainText(_ html: String) -> String {
        var text = ""
        var inTag = false
        for character in html {
            switch character {
            case "<": inTag = true
            case ">" where inTag: inTag = false
            default: if !inTag { text.append(character) }
            }
        }
        return unescape(text)
    }
}
