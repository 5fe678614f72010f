/// A view as Slack describes it back: in `views.open`/`views.update` answers and in
/// `view_submission` payloads. Its blocks are left out; Rebind reads the id, hash, metadata
/// and the values of its inputs.
public struct SlackViewInfo: Codable, Sendable, Equatable {
    /// `V…`; what `views.update` takes.
    public var id: String
    public var teamID: String?
    public var type: String?
    public var callbackID: String?
    public var privateMetadata: String?
    /// Changes with every update; `views.update` with a stale hash fails with `hash_conflict`.
    public var hash: String?
    public var rootViewID: String?
    public var externalID: String?
    public var state: State?

    public init(
        id: String,
        teamID: String? = nil,
        type: String? = "modal",
        callbackID: String? = nil,
        privateMetadata: String? = nil,
        hash: String? = nil,
        rootViewID: String? = nil,
        externalID: String? = nil,
        state: State? = nil
    ) {
        self.id = id
        self.teamID = teamID
        self.type = type
        self.callbackID = callbackID
        self.privateMetadata = privateMetadata
        self.hash = hash
        self.rootViewID = rootViewID
        self.externalID = externalID
        self.state = state
    }

    /// The inputs' values: `values[block_id][action_id]`.
    public struct State: Codable, Sendable, Equatable {
        public var values: [String: [String: Value]]

        public init(values: [String: [String: Value]] = [:]) {
            self.values = values
        }
    }

    /// One input's value. Rebind's inputs are `plain_text_input`; an empty one has no `value`.
    public struct Value: Codable, Sendable, Equatable {
        public var type: String
        public var value: String?

        public init(type: String = "plain_text_input", value: String?) {
            self.type = type
            self.value = value
        }
    }

    /// The text typed into the input `actionID` of block `blockID`; nil when empty or absent.
    public func value(block blockID: String, action actionID: String) -> String? {
        state?.values[blockID]?[actionID]?.value
    }

    enum CodingKeys: String, CodingKey {
        case id
        case teamID = "team_id"
        case type
        case callbackID = "callback_id"
        case privateMetadata = "private_metadata"
        case hash
        case rootViewID = "root_view_id"
        case externalID = "external_id"
        case state
    }
}
