/// A Block Kit button: one that sends `action_id` and `value` back in a `block_actions`
/// payload, or a link (`url`), which Slack opens and also reports.
public struct SlackButton: Codable, Sendable, Equatable {
    public enum Style: String, Codable, Sendable {
        case primary
        case danger
    }

    public var type = "button"
    /// `plain_text`, at most 75 characters.
    public var text: SlackText
    /// Names the action in `block_actions`; unique within its block, at most 255 characters.
    public var actionID: String
    /// Sent back with the action; at most 2,000 characters. Never a secret.
    public var value: String?
    /// A link to open; at most 3,000 characters.
    public var url: String?
    public var style: Style?

    public init(text: SlackText, actionID: String, value: String? = nil, url: String? = nil, style: Style? = nil) {
        self.text = text
        self.actionID = actionID
        self.value = value
        self.url = url
        self.style = style
    }

    /// What Slack would refuse about this button (`invalid_blocks`), or nil.
    public var problem: String? {
        if text.text.isEmpty || text.text.count > 75 { return "a button's text must be 1–75 characters: \"\(text.text)\"" }
        if actionID.isEmpty || actionID.count > 255 { return "a button's action_id must be 1–255 characters" }
        if let value, value.count > 2_000 { return "a button's value must be at most 2,000 characters" }
        if let url, url.isEmpty || url.count > 3_000 { return "a button's url must be 1–3,000 characters" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case type, text
        case actionID = "action_id"
        case value, url, style
    }
}
