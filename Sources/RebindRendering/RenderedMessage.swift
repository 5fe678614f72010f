/// A chat message ready to send: its text and the markup the text is written in.
public struct RenderedMessage: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable {
        /// Telegram's `parse_mode: HTML`.
        case html
        /// Slack's mrkdwn.
        case mrkdwn
    }

    public var text: String
    public var format: Format
    /// The locale whose templates were used, after falling back (an unknown locale gives "en").
    public var locale: String
    /// Robots left out of the list, as "…and K more", to keep the text within the channel's limit.
    public var omittedRobots: Int

    public init(text: String, format: Format, locale: String, omittedRobots: Int = 0) {
        self.text = text
        self.format = format
        self.locale = locale
        self.omittedRobots = omittedRobots
    }
}
