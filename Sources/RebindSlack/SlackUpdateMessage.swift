/// `chat.update`: replaces a message's text and blocks. An empty `blocks` array removes the
/// blocks (and so the buttons); nil leaves them as they were.
public struct SlackUpdateMessage: SlackMethod, Equatable {
    public static let name = "chat.update"

    public var channel: String
    /// The message's timestamp, as `chat.postMessage` returned it.
    public var ts: String
    public var text: String
    public var blocks: [SlackBlock]?

    public init(channel: String, ts: String, text: String, blocks: [SlackBlock]? = nil) {
        self.channel = channel
        self.ts = ts
        self.text = text
        self.blocks = blocks
    }

    public struct Result: Codable, Sendable, Equatable {
        public var channel: String
        public var ts: String
        public var text: String?

        public init(channel: String, ts: String, text: String? = nil) {
            self.channel = channel
            self.ts = ts
            self.text = text
        }
    }
}
