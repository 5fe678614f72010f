/// Who a chat belongs to (DESIGN §4). A chat belongs to one user: the one who linked it
/// (confirmed `/start <token>`), or, while nobody linked it, the one user whose events name
/// it (`telegram_chat_id`, `slack`). A chat two users name and neither linked belongs to
/// neither; a chat its user unlinked belongs to nobody until it is linked again.
public enum ChatOwner: Sendable, Equatable {
    /// Linked by this user (the platform's name for them, when the link gave one).
    case linked(userID: String, displayName: String?)
    /// Named in this user's events, and by nobody else's.
    case named(userID: String)
    /// Named in several users' events, linked by none.
    case ambiguous
    case nobody

    /// The user whose notices and key flows use the chat.
    public var userID: String? {
        switch self {
        case .linked(let userID, _), .named(let userID): userID
        case .ambiguous, .nobody: nil
        }
    }
}
