/// `users.info` with `include_locale`: a user's profile, and the language of their Slack
/// (`en-US`, `zh-CN`). Needs the `users:read` scope; Slack reads its arguments from a form.
public struct SlackUsersInfo: SlackMethod, Equatable {
    public static let name = "users.info"

    public var user: String
    public var includeLocale: Bool

    public init(user: String, includeLocale: Bool = true) {
        self.user = user
        self.includeLocale = includeLocale
    }

    enum CodingKeys: String, CodingKey {
        case user
        case includeLocale = "include_locale"
    }

    public var formFields: [(name: String, value: String)]? {
        [("user", user), ("include_locale", includeLocale ? "true" : "false")]
    }

    public struct Result: Codable, Sendable, Equatable {
        public var user: User

        public init(user: User) {
            self.user = user
        }

        public struct User: Codable, Sendable, Equatable {
            public var id: String
            /// Present when asked for with `include_locale`.
            public var locale: String?

            public init(id: String, locale: String? = nil) {
                self.id = id
                self.locale = locale
            }
        }
    }
}
