/// The Block Kit blocks Rebind sends: a section of text, a row of buttons, a text input (in
/// modals) and a divider. Encoded with their `type`, as Slack expects.
public enum SlackBlock: Codable, Sendable, Equatable {
    /// Text, at most 3,000 characters.
    case section(text: SlackText, blockID: String? = nil)
    /// Up to 25 buttons side by side.
    case actions(elements: [SlackButton], blockID: String? = nil)
    /// A labelled input of a modal; its value arrives in `view.state.values[blockID]`.
    case input(blockID: String, label: SlackText, element: SlackPlainTextInput, hint: SlackText? = nil, optional: Bool = false)
    case divider(blockID: String? = nil)

    /// Section text may hold at most this many characters.
    public static let sectionTextLimit = 3_000
    /// An actions block may hold at most this many elements.
    public static let actionsLimit = 25

    public var type: String {
        switch self {
        case .section: "section"
        case .actions: "actions"
        case .input: "input"
        case .divider: "divider"
        }
    }

    /// What Slack would refuse about this block (`invalid_blocks`), or nil.
    public var problem: String? {
        switch self {
        case .section(let text, _):
            text.text.isEmpty || text.text.count > Self.sectionTextLimit ? "section text must be 1–3,000 characters" : nil
        case .actions(let elements, _):
            if elements.isEmpty || elements.count > Self.actionsLimit {
                "an actions block holds 1–25 elements"
            } else if Set(elements.map(\.actionID)).count != elements.count {
                "action_ids must be unique within a block"
            } else {
                elements.lazy.compactMap(\.problem).first
            }
        case .input(let blockID, let label, _, _, _):
            blockID.isEmpty || label.text.isEmpty || label.text.count > 2_000 ? "an input needs a block_id and a 1–2,000 character label" : nil
        case .divider:
            nil
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, text, elements, label, element, hint, optional
        case blockID = "block_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let blockID = try container.decodeIfPresent(String.self, forKey: .blockID)
        switch try container.decode(String.self, forKey: .type) {
        case "section":
            self = .section(text: try container.decode(SlackText.self, forKey: .text), blockID: blockID)
        case "actions":
            self = .actions(elements: try container.decode([SlackButton].self, forKey: .elements), blockID: blockID)
        case "input":
            self = .input(
                blockID: blockID ?? "",
                label: try container.decode(SlackText.self, forKey: .label),
                element: try container.decode(SlackPlainTextInput.self, forKey: .element),
                hint: try container.decodeIfPresent(SlackText.self, forKey: .hint),
                optional: try container.decodeIfPresent(Bool.self, forKey: .optional) ?? false
            )
        case "divider":
            self = .divider(blockID: blockID)
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type,
                in: container,
                debugDescription: "block type \"\(other)\" is not one Rebind uses"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .section(let text, let blockID):
            try container.encode(text, forKey: .text)
            try container.encodeIfPresent(blockID, forKey: .blockID)
        case .actions(let elements, let blockID):
            try container.encode(elements, forKey: .elements)
            try container.encodeIfPresent(blockID, forKey: .blockID)
        case .input(let blockID, let label, let element, let hint, let optional):
            try container.encode(blockID, forKey: .blockID)
            try container.encode(label, forKey: .label)
            try container.encode(element, forKey: .element)
            try container.encodeIfPresent(hint, forKey: .hint)
            if optional { try container.encode(true, forKey: .optional) }
        case .divider(let blockID):
            try container.encodeIfPresent(blockID, forKey: .blockID)
        }
    }
}
