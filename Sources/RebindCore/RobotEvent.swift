import Foundation

/// One event from the trading platform, as validated from `POST /v1/events`.
public struct RobotEvent: Codable, Sendable, Equatable {
    public var type: EventType
    public var occurredAt: Date
    public var user: User
    public var account: Account
    public var robot: Robot?
    public var reason: Reason?

    public init(
        type: EventType,
        occurredAt: Date,
        user: User,
        account: Account,
        robot: Robot? = nil,
        reason: Reason? = nil
    ) {
        self.type = type
        self.occurredAt = occurredAt
        self.user = user
        self.account = account
        self.robot = robot
        self.reason = reason
    }

    public struct User: Codable, Sendable, Equatable {
        public var id: String
        public var locale: String?
        public var telegramChatId: Int64?
        public var slack: SlackIdentity?

        public init(id: String, locale: String? = nil, telegramChatId: Int64? = nil, slack: SlackIdentity? = nil) {
            self.id = id
            self.locale = locale
            self.telegramChatId = telegramChatId
            self.slack = slack
        }
    }

    public struct SlackIdentity: Codable, Sendable, Equatable {
        public var teamId: String
        public var userId: String

        public init(teamId: String, userId: String) {
            self.teamId = teamId
            self.userId = userId
        }
    }

    public struct Account: Codable, Sendable, Equatable {
        public var id: String
        public var exchange: String
        public var label: String?
        public var apiKeyHint: String?
        public var boundAt: Date?
        /// The exchange's id of the account the bound key belongs to (Binance's `uid`, OKX's
        /// `uid`): a new key must belong to it.
        public var exchangeUID: String?
        /// What the platform knows of the bound key's lifetime (DESIGN §10): restricted to IP
        /// addresses (it does not lapse), and when it stops trading.
        public var ipRestricted: Bool?
        public var expiresAt: Date?

        public init(
            id: String,
            exchange: String,
            label: String? = nil,
            apiKeyHint: String? = nil,
            boundAt: Date? = nil,
            exchangeUID: String? = nil,
            ipRestricted: Bool? = nil,
            expiresAt: Date? = nil
        ) {
            self.id = id
            self.exchange = exchange
            self.label = label
            self.apiKeyHint = apiKeyHint
            self.boundAt = boundAt
            self.exchangeUID = exchangeUID
            self.ipRestricted = ipRestricted
            self.expiresAt = expiresAt
        }

        /// What the event says of the bound key's lifetime.
        public var lifetime: KeyExpiry.Facts {
            KeyExpiry.Facts(platformExpiresAt: expiresAt, platformIPRestricted: ipRestricted, boundAt: boundAt)
        }
    }

    public struct Robot: Codable, Sendable, Equatable, Hashable {
        public var id: String
        public var name: String
        /// What the robot trades, when the platform says: a futures robot needs a key that may
        /// trade futures.
        public var market: Market?
        /// Positions the robot holds open: nobody manages them while it is paused.
        public var openPositions: Int?
        /// What the robot has in the market, in one currency.
        public var exposure: Exposure?

        public enum Market: String, Codable, Sendable, Hashable {
            case spot, futures
        }

        /// An amount in a currency, the amount a non-negative decimal string (`"1234.56"`), so
        /// no precision is lost on the way.
        public struct Exposure: Codable, Sendable, Hashable {
            public var amount: String
            public var currency: String

            public init(amount: String, currency: String) {
                self.amount = amount
                self.currency = currency
            }

            /// The amount as a number; nil when it is not a plain decimal.
            public var value: Decimal? {
                guard Self.isDecimal(amount) else { return nil }
                return Decimal(string: amount, locale: Locale(identifier: "en_US_POSIX"))
            }

            /// Digits, optionally a point and more digits: no sign, exponent or grouping.
            public static func isDecimal(_ text: String) -> Bool {
                let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                return (1...40).contains(text.count) && !parts[0].isEmpty
                    && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
            }
        }

        public init(id: String, name: String, market: Market? = nil, openPositions: Int? = nil, exposure: Exposure? = nil) {
            self.id = id
            self.name = name
            self.market = market
            self.openPositions = openPositions
            self.exposure = exposure
        }
    }

    public struct Reason: Codable, Sendable, Equatable {
        public var text: String
        public var code: String?
        public var message: String?

        public init(text: String, code: String? = nil, message: String? = nil) {
            self.text = text
            self.code = code
            self.message = message
        }
    }
}
