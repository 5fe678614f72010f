/// The user who acted, as interactivity payloads name them.
public struct SlackUserRef: Codable, Sendable, Equatable {
    /// `U…` or `W…`.
    public var id: String
    public var username: String?
    public var teamID: String?

    public init(id: String, username: String? = nil, teamID: String? = nil) {
        self.id = id
        self.username = username
        self.teamID = teamID
    }

    enum CodingKeys: String, CodingKey {
        case id, username
        case teamID = "team_id"
    }
}

/// The workspace an interaction happened in.
public struct SlackTeamRef: Codable, Sendable, Equatable {
    /// `T…`.
    public var id: String
    public var domain: String?

    public init(id: String, domain: String? = nil) {
        self.id = id
        self.domain = domain
    }
}
