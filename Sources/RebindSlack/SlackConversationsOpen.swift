/// `conversations.open` with one user: opens (or finds) the bot's DM with them. Calling it
/// again returns the same `D…` channel.
public struct SlackConversationsOpen: SlackMethod, Equatable {
    public static let name = "conversations.open"

    /// One user id (`U…`); several, comma-separated, would open a group DM.
    public var users: String

    public init(user: String) {
        self.users = user
    }

    public struct Result: Codable, Sendable, Equatable {
        public var channel: Channel
        /// True when the DM was open already.
        public var alreadyOpen: Bool?

        public init(channel: Channel, alreadyOpen: Bool? = nil) {
            self.channel = channel
            self.alreadyOpen = alreadyOpen
        }

        public struct Channel: Codable, Sendable, Equatable {
            /// `D…`.
            public var id: String

            public init(id: String) {
                self.id = id
            }
        }

        enum CodingKeys: String, CodingKey {
            case channel
            case alreadyOpen = "already_open"
        }
    }
}
