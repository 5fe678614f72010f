/// A chat (Bot API `Chat`). Rebind talks to users in private chats, whose id is the user's id.
public struct TelegramChat: Codable, Sendable, Equatable {
    public var id: Int64
    /// `private`, `group`, `supergroup` or `channel`.
    public var type: String
    public var username: String?
    public var firstName: String?

    public init(id: Int64, type: String = "private", username: String? = nil, firstName: String? = nil) {
        self.id = id
        self.type = type
        self.username = username
        self.firstName = firstName
    }

    public var isPrivate: Bool { type == "private" }

    enum CodingKeys: String, CodingKey {
        case id, type, username
        case firstName = "first_name"
    }
}
