/// A `block_actions` payload: the user pressed a button in a message or a modal.
public struct SlackBlockActions: Codable, Sendable, Equatable {
    public var type = "block_actions"
    /// Opens a modal within 3 seconds, once.
    public var triggerID: String
    public var user: SlackUserRef
    public var team: SlackTeamRef?
    public var apiAppID: String?
    /// Where the button was: a message (`message_ts`, `channel_id`) or a view (`view_id`).
    public var container: Container?
    public var channel: Channel?
    /// The message holding the button; its `ts` is what `chat.update` takes.
    public var message: Message?
    /// The modal holding the button, for actions inside one.
    public var view: SlackViewInfo?
    public var actions: [Action]
    public var responseURL: String?

    public init(
        triggerID: String,
        user: SlackUserRef,
        team: SlackTeamRef? = nil,
        apiAppID: String? = nil,
        container: Container? = nil,
        channel: Channel? = nil,
        message: Message? = nil,
        view: SlackViewInfo? = nil,
        actions: [Action],
        responseURL: String? = nil
    ) {
        self.triggerID = triggerID
        self.user = user
        self.team = team
        self.apiAppID = apiAppID
        self.container = container
        self.channel = channel
        self.message = message
        self.view = view
        self.actions = actions
        self.responseURL = responseURL
    }

    /// The workspace: `team.id`, or the user's team when `team` is absent.
    public var teamID: String? { team?.id ?? user.teamID }

    public struct Container: Codable, Sendable, Equatable {
        /// `message` or `view`.
        public var type: String
        public var messageTS: String?
        public var channelID: String?
        public var isEphemeral: Bool?
        public var viewID: String?

        public init(type: String, messageTS: String? = nil, channelID: String? = nil, isEphemeral: Bool? = nil, viewID: String? = nil) {
            self.type = type
            self.messageTS = messageTS
            self.channelID = channelID
            self.isEphemeral = isEphemeral
            self.viewID = viewID
        }

        enum CodingKeys: String, CodingKey {
            case type
            case messageTS = "message_ts"
            case channelID = "channel_id"
            case isEphemeral = "is_ephemeral"
            case viewID = "view_id"
        }
    }

    public struct Channel: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?

        public init(id: String, name: String? = nil) {
            self.id = id
            self.name = name
        }
    }

    public struct Message: Codable, Sendable, Equatable {
        public var ts: String
        public var text: String?

        public init(ts: String, text: String? = nil) {
            self.ts = ts
            self.text = text
        }
    }

    /// One pressed element. For a button: its `action_id`, `value` and, for a link, `url`.
    public struct Action: Codable, Sendable, Equatable {
        public var type: String
        public var actionID: String
        public var blockID: String?
        public var value: String?
        public var url: String?
        public var actionTS: String?

        public init(
            type: String = "button",
            actionID: String,
            blockID: String? = nil,
            value: String? = nil,
            url: String? = nil,
            actionTS: String? = nil
        ) {
            self.type = type
            self.actionID = actionID
            self.blockID = blockID
            self.value = value
            self.url = url
            self.actionTS = actionTS
        }

        enum CodingKeys: String, CodingKey {
            case type
            case actionID = "action_id"
            case blockID = "block_id"
            case value, url
            case actionTS = "action_ts"
        }
    }

    enum CodingKeys: String, CodingKey {
        case type
        case triggerID = "trigger_id"
        case user, team
        case apiAppID = "api_app_id"
        case container, channel, message, view, actions
        case responseURL = "response_url"
    }
}
