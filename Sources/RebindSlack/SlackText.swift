/// A Block Kit text object: `plain_text` (labels, button titles, modal titles) or `mrkdwn`
/// (section text, already escaped with `Mrkdwn`).
public struct SlackText: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case plainText = "plain_text"
        case mrkdwn
    }

    public var type: Kind
    public var text: String
    /// `plain_text` only: turn `:emoji:` codes into emoji.
    public var emoji: Bool?
    /// `mrkdwn` only: leave URLs, mentions and channel names as written.
    public var verbatim: Bool?

    public init(type: Kind, text: String, emoji: Bool? = nil, verbatim: Bool? = nil) {
        self.type = type
        self.text = text
        self.emoji = emoji
        self.verbatim = verbatim
    }

    public static func plain(_ text: String) -> SlackText {
        SlackText(type: .plainText, text: text, emoji: true)
    }

    public static func mrkdwn(_ text: String) -> SlackText {
        SlackText(type: .mrkdwn, text: text)
    }
}
