/// `auth.test`: who the token is. `rebind doctor` and installation use it to check a token.
public struct SlackAuthTest: SlackMethod, Equatable {
    public static let name = "auth.test"

    public init() {}

    public struct Result: Codable, Sendable, Equatable {
        /// The workspace's URL, `https://<domain>.slack.com/`.
        public var url: String?
        public var team: String?
        public var user: String?
        public var teamID: String
        public var userID: String
        /// Set for a bot token.
        public var botID: String?
        public var isEnterpriseInstall: Bool?

        public init(
            url: String? = nil,
            team: String? = nil,
            user: String? = nil,
            teamID: String,
            userID: String,
            botID: String? = nil,
            isEnterpriseInstall: Bool? = nil
        ) {
            self.url = url
            self.team = team
            self.user = user
            self.teamID = teamID
            self.userID = userID
            self.botID = botID
            self.isEnterpriseInstall = isEnterpriseInstall
        }

        enum CodingKeys: String, CodingKey {
            case url, team, user
            case teamID = "team_id"
            case userID = "user_id"
            case botID = "bot_id"
            case isEnterpriseInstall = "is_enterprise_install"
        }
    }
}
