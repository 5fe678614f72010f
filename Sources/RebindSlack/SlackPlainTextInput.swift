/// A Block Kit `plain_text_input` element, inside an input block of a modal.
public struct SlackPlainTextInput: Codable, Sendable, Equatable {
    public var type = "plain_text_input"
    /// The key of the value in `view.state.values[block_id]`.
    public var actionID: String
    public var placeholder: SlackText?
    public var initialValue: String?
    public var multiline: Bool?
    public var minLength: Int?
    public var maxLength: Int?

    public init(
        actionID: String,
        placeholder: SlackText? = nil,
        initialValue: String? = nil,
        multiline: Bool? = nil,
        minLength: Int? = nil,
        maxLength: Int? = nil
    ) {
        self.actionID = actionID
        self.placeholder = placeholder
        self.initialValue = initialValue
        self.multiline = multiline
        self.minLength = minLength
        self.maxLength = maxLength
    }

    enum CodingKeys: String, CodingKey {
        case type
        case actionID = "action_id"
        case placeholder
        case initialValue = "initial_value"
        case multiline
        case minLength = "min_length"
        case maxLength = "max_length"
    }
}
