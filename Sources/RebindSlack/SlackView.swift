/// A modal view for `views.open` and `views.update`: the key form of issue 5.
///
/// `privateMetadata` comes back with the submission; Rebind keeps only references in it
/// (the account's), never a secret.
public struct SlackView: Codable, Sendable, Equatable {
    public var type = "modal"
    /// `plain_text`, at most 24 characters.
    public var title: SlackText
    /// At most 100 blocks.
    public var blocks: [SlackBlock]
    /// Required by Slack when the view has an input block; `plain_text`, at most 24 characters.
    public var submit: SlackText?
    public var close: SlackText?
    /// Names the form in `view_submission`; at most 255 characters.
    public var callbackID: String?
    /// At most 3,000 characters.
    public var privateMetadata: String?
    public var clearOnClose: Bool?
    /// Ask Slack for `view_closed` when the user cancels.
    public var notifyOnClose: Bool?
    public var externalID: String?

    public init(
        title: SlackText,
        blocks: [SlackBlock],
        submit: SlackText? = nil,
        close: SlackText? = nil,
        callbackID: String? = nil,
        privateMetadata: String? = nil,
        clearOnClose: Bool? = nil,
        notifyOnClose: Bool? = nil,
        externalID: String? = nil
    ) {
        self.title = title
        self.blocks = blocks
        self.submit = submit
        self.close = close
        self.callbackID = callbackID
        self.privateMetadata = privateMetadata
        self.clearOnClose = clearOnClose
        self.notifyOnClose = notifyOnClose
        self.externalID = externalID
    }

    /// What Slack would refuse about this view, or nil.
    public var problem: String? {
        if title.text.isEmpty || title.text.count > 24 { return "a modal's title must be 1–24 characters" }
        if blocks.isEmpty || blocks.count > 100 { return "a modal holds 1–100 blocks" }
        if let submit, submit.text.isEmpty || submit.text.count > 24 { return "a modal's submit text must be 1–24 characters" }
        if let close, close.text.isEmpty || close.text.count > 24 { return "a modal's close text must be 1–24 characters" }
        if submit == nil, blocks.contains(where: { $0.type == "input" }) { return "a modal with inputs needs a submit text" }
        if let callbackID, callbackID.count > 255 { return "a modal's callback_id must be at most 255 characters" }
        if let privateMetadata, privateMetadata.count > 3_000 { return "a modal's private_metadata must be at most 3,000 characters" }
        return blocks.lazy.compactMap(\.problem).first
    }

    enum CodingKeys: String, CodingKey {
        case type, title, blocks, submit, close
        case callbackID = "callback_id"
        case privateMetadata = "private_metadata"
        case clearOnClose = "clear_on_close"
        case notifyOnClose = "notify_on_close"
        case externalID = "external_id"
    }
}
