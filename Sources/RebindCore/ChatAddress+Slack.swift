extension ChatAddress {
    /// A Slack user's direct messages with the bot in one workspace: `id` is `TEAM/USER`
    /// (e.g. `T0001/U0001`). The DM's channel id (`D…`) is not part of the address: Slack
    /// hands it out through `conversations.open`, and the messenger looks it up.
    public static func slack(teamID: String, userID: String) -> ChatAddress {
        ChatAddress(channel: .slack, id: "\(teamID)/\(userID)")
    }

    /// The workspace and user of a Slack address; nil for another channel or an id not of the
    /// form `TEAM/USER`.
    public var slackUser: (teamID: String, userID: String)? {
        guard channel == .slack else { return nil }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
