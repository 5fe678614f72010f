import RebindCore

/// The answer of `oauth.v2.access`: a workspace's bot token after the OAuth v2 install flow.
/// The token is a `Secret`; store it encrypted and never log it.
public struct SlackOAuthAccess: Decodable, Sendable, Equatable {
    /// `xoxb-…`.
    public var accessToken: Secret
    /// `bot`.
    public var tokenType: String?
    /// The granted scopes, comma-separated.
    public var scope: String?
    public var botUserID: String?
    public var appID: String?
    public var team: Team
    public var enterprise: Team?
    /// The user who installed the app.
    public var authedUser: SlackUserRef?
    public var isEnterpriseInstall: Bool?

    public init(
        accessToken: Secret,
        tokenType: String? = "bot",
        scope: String? = nil,
        botUserID: String? = nil,
        appID: String? = nil,
        team: Team,
        enterprise: Team? = nil,
        authedUser: SlackUserRef? = nil,
        isEnterpriseInstall: Bool? = nil
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.scope = scope
        self.botUserID = botUserID
        self.appID = appID
        self.team = team
        self.enterprise = enterprise
        self.authedUser = authedUser
        self.isEnterpriseInstall = isEnterpriseInstall
    }

    /// A workspace or organization, by id and name.
    public struct Team: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?

        public init(id: String, name: String? = nil) {
            self.id = id
            self.name = name
        }
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case scope
        case botUserID = "bot_user_id"
        case appID = "app_id"
        case team, enterprise
        case authedUser = "authed_user"
        case isEnterpriseInstall = "is_enterprise_install"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = Secret(try container.decode(String.self, forKey: .accessToken))
        tokenType = try container.decodeIfPresent(String.self, forKey: .tokenType)
        scope = try container.decodeIfPresent(String.self, forKey: .scope)
        botUserID = try container.decodeIfPresent(String.self, forKey: .botUserID)
        appID = try container.decodeIfPresent(String.self, forKey: .appID)
        team = try container.decode(Team.self, forKey: .team)
        enterprise = try container.decodeIfPresent(Team.self, forKey: .enterprise)
        authedUser = try container.decodeIfPresent(SlackUserRef.self, forKey: .authedUser)
        isEnterpriseInstall = try container.decodeIfPresent(Bool.self, forKey: .isEnterpriseInstall)
    }
}
