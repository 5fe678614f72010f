/// What a sealed value is, and so which row it may be opened for: the associated data a
/// ciphertext is bound to. A ciphertext copied onto another row, or read as another kind of
/// value, fails authentication instead of opening.
public enum SealContext: Sendable, Hashable {
    /// A key conversation in progress (it holds the key, secret and passphrase collected so far).
    case conversation(ChatAddress)
    /// An account's accepted credentials.
    case binding(accountID: String)
    /// A binding update waiting in its outbox (by its `webhook-id`).
    case bindingUpdate(id: String)
    /// A chat update waiting in its chat's lane: it may hold a pasted secret.
    case chatUpdate(channel: Channel, externalID: String)
    /// A Slack workspace's bot token.
    case slackInstallation(teamID: String)

    /// The associated data, exactly as the strings written before this type existed, so what
    /// was sealed then still opens.
    public var associatedData: String {
        switch self {
        case .conversation(let chat): "conversation:\(chat)"
        case .binding(let accountID): "binding:\(accountID)"
        case .bindingUpdate(let id): "binding_update:\(id)"
        case .chatUpdate(let channel, let externalID): "update:\(channel.rawValue):\(externalID)"
        case .slackInstallation(let teamID): "slack_installation:\(teamID)"
        }
    }
}
