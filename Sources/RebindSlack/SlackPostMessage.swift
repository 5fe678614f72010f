/// `chat.postMessage`: a message with Block Kit blocks. `text` is the notification's and
/// screen readers' fallback; the blocks are what the user sees.
public struct SlackPostMessage: SlackMethod, Equatable {
    public static let name = "chat.postMessage"

    /// A channel id (`D…` for a DM).
    public var channel: String
    public var text: String
    public var blocks: [SlackBlock]?
    /// Whether `text` is mrkdwn; true by default on Slack's side.
    public var mrkdwn: Bool?
    /// Off: a guidance message should not grow a preview of the help page.
    public var unfurlLinks: Bool?
    public var unfurlMedia: Bool?

    public init(
        channel: String,
        text: String,
        blocks: [SlackBlock]? = nil,
        mrkdwn: Bool? = nil,
        unfurlLinks: Bool? = false,
        unfurlMedia: Bool? = false
    ) {
        self.channel = channel
        self.text = text
        self.blocks = blocks
        self.mrkdwn = mrkdwn
        self.unfurlLinks = unfurlLinks
        self.unfurlMedia = unfurlMedia
    }

    public struct Result: Codable, Sendable, Equatable {
        public var channel: String
        /// The message's timestamp: its id, for `chat.update`.
        public var ts: String

        public init(channel: String, ts: String) {
            self.channel = channel
            self.ts = ts
        }
    }

    enum CodingKeys: String, CodingKey {
        case channel, text, blocks, mrkdwn
        case unfurlLinks = "unfurl_links"
        case unfurlMedia = "unfurl_media"
    }
}
