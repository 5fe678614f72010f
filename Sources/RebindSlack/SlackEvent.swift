/// The inner event of an `event_callback`. Rebind listens to `message` events in the bot's
/// DMs (`channel_type: im`), to warn a user who pastes a key there; the other types decode
/// too, with the fields they share.
public struct SlackEvent: Codable, Sendable, Equatable {
    /// `message`, `app_home_opened`, …
    public var type: String
    /// Absent for a plain user message; `bot_message`, `message_changed`, `message_deleted`, …
    public var subtype: String?
    public var channel: String?
    /// `im` for a DM with the bot; `channel`, `group`, `mpim` otherwise.
    public var channelType: String?
    /// Who wrote it; absent for some bot messages.
    public var user: String?
    public var text: String?
    public var ts: String?
    public var eventTS: String?
    /// Set when a bot (Rebind included) wrote the message.
    public var botID: String?
    public var team: String?
    /// `tokens_revoked`: whose tokens were revoked, by kind (`oauth` user tokens, `bot`).
    public var tokens: RevokedTokens?

    public struct RevokedTokens: Codable, Sendable, Equatable {
        public var oauth: [String]?
        public var bot: [String]?

        public init(oauth: [String]? = nil, bot: [String]? = nil) {
            self.oauth = oauth
            self.bot = bot
        }
    }

    public init(
        type: String,
        subtype: String? = nil,
        channel: String? = nil,
        channelType: String? = nil,
        user: String? = nil,
        text: String? = nil,
        ts: String? = nil,
        eventTS: String? = nil,
        botID: String? = nil,
        team: String? = nil,
        tokens: RevokedTokens? = nil
    ) {
        self.type = type
        self.subtype = subtype
        self.channel = channel
        self.channelType = channelType
        self.user = user
        self.text = text
        self.ts = ts
        self.eventTS = eventTS
        self.botID = botID
        self.team = team
        self.tokens = tokens
    }

    /// The workspace can no longer be written to with its bot token: the app was uninstalled
    /// (`app_uninstalled`), or its bot token revoked (`tokens_revoked` listing bot tokens; user
    /// tokens alone are not Rebind's).
    public var endsInstallation: Bool {
        switch type {
        case "app_uninstalled": true
        case "tokens_revoked": !(tokens?.bot ?? []).isEmpty
        default: false
        }
    }

    /// A message a person wrote in a DM with the bot: not a bot's (Rebind's own messages come
    /// back as events too), not an edit or deletion.
    public var isDirectMessageFromUser: Bool {
        type == "message" && channelType == "im" && botID == nil && subtype == nil && user != nil
    }

    enum CodingKeys: String, CodingKey {
        case type, subtype, channel
        case channelType = "channel_type"
        case user, text, ts
        case eventTS = "event_ts"
        case botID = "bot_id"
        case team, tokens
    }
}
