/// Escaping for Slack's mrkdwn. Slack asks for exactly three characters to be escaped (`&`, `<`,
/// `>`) and shows any other entity literally, so HTML escaping (which also turns quotes into
/// `&quot;` and `&#39;`) would garble names such as `Tom's "safe" grid`.
public enum Mrkdwn {
    /// Text that Slack shows as written, never as a link, mention or control sequence.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A URL for the target of `<url|label>`: a `|` or `>` in it would end the target early,
    /// so those are percent-encoded rather than entity-escaped.
    public static func escapeURL(_ url: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(url.utf8.count)
        for character in url {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "%3C"
            case ">": escaped += "%3E"
            case "|": escaped += "%7C"
            case " ": escaped += "%20"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
