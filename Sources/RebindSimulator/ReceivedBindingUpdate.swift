import Foundation
import RebindCore

/// A binding update as the fake platform read it off the wire (DESIGN §3). Decoding is as
/// strict as a careful platform would be: every field present with its JSON type, `type`
/// exactly `api_binding.update_requested`, times RFC 3339, `trading_expires_at` present even
/// when null, and a passphrase for an OKX key. Times are kept as the text that was sent, so
/// tests can check the format, not just the instant.
public struct ReceivedBindingUpdate: Sendable, Equatable, Decodable {
    public static let type = "api_binding.update_requested"

    public struct Credentials: Sendable, Equatable {
        public var apiKey: String
        public var apiSecret: String
        /// Nil when the field was null or left out.
        public var passphrase: String?
    }

    public struct Verification: Sendable, Equatable {
        public var checkedAt: String
        public var canTrade: Bool
        public var canWithdraw: Bool
        public var ipRestricted: Bool
        public var tradingExpiresAt: String?
    }

    public var type: String
    public var occurredAt: String
    public var userID: String
    public var accountID: String
    public var exchange: String
    public var credentials: Credentials
    public var verification: Verification
    public var robotIDs: [String]

    enum CodingKeys: String, CodingKey {
        case type
        case occurredAt = "occurred_at"
        case user, account, credentials, verification
        case robotIDs = "robot_ids"
    }

    enum IDKeys: String, CodingKey {
        case id, exchange
    }

    enum CredentialKeys: String, CodingKey {
        case apiKey = "api_key"
        case apiSecret = "api_secret"
        case passphrase
    }

    enum VerificationKeys: String, CodingKey {
        case checkedAt = "checked_at"
        case canTrade = "can_trade"
        case canWithdraw = "can_withdraw"
        case ipRestricted = "ip_restricted"
        case tradingExpiresAt = "trading_expires_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        guard type == Self.type else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "must be \(Self.type)")
        }
        occurredAt = try Self.time(.occurredAt, in: container)

        let user = try container.nestedContainer(keyedBy: IDKeys.self, forKey: .user)
        userID = try Self.nonEmpty(.id, in: user)
        let account = try container.nestedContainer(keyedBy: IDKeys.self, forKey: .account)
        accountID = try Self.nonEmpty(.id, in: account)
        exchange = try account.decode(String.self, forKey: .exchange)
        guard ["binance", "okx"].contains(exchange) else {
            throw DecodingError.dataCorruptedError(forKey: .exchange, in: account, debugDescription: "unknown exchange")
        }

        let keys = try container.nestedContainer(keyedBy: CredentialKeys.self, forKey: .credentials)
        credentials = Credentials(
            apiKey: try Self.nonEmpty(.apiKey, in: keys),
            apiSecret: try Self.nonEmpty(.apiSecret, in: keys),
            passphrase: try keys.decodeIfPresent(String.self, forKey: .passphrase)
        )
        if exchange == "okx" && (credentials.passphrase ?? "").isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .passphrase, in: keys, debugDescription: "an OKX key needs its passphrase")
        }

        let checks = try container.nestedContainer(keyedBy: VerificationKeys.self, forKey: .verification)
        guard checks.contains(.tradingExpiresAt) else {
            throw DecodingError.keyNotFound(
                VerificationKeys.tradingExpiresAt,
                .init(codingPath: checks.codingPath, debugDescription: "must be present; null when unknown")
            )
        }
        var expires: String?
        if try !checks.decodeNil(forKey: .tradingExpiresAt) {
            expires = try Self.time(.tradingExpiresAt, in: checks)
        }
        verification = Verification(
            checkedAt: try Self.time(.checkedAt, in: checks),
            canTrade: try checks.decode(Bool.self, forKey: .canTrade),
            canWithdraw: try checks.decode(Bool.self, forKey: .canWithdraw),
            ipRestricted: try checks.decode(Bool.self, forKey: .ipRestricted),
            tradingExpiresAt: expires
        )

        robotIDs = try container.decode([String].self, forKey: .robotIDs)
    }

    private static func time<Key: CodingKey>(_ key: Key, in container: KeyedDecodingContainer<Key>) throws -> String {
        let text = try container.decode(String.self, forKey: key)
        guard Timestamp.parse(text) != nil else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an RFC 3339 time")
        }
        return text
    }

    private static func nonEmpty<Key: CodingKey>(_ key: Key, in container: KeyedDecodingContainer<Key>) throws -> String {
        let text = try container.decode(String.self, forKey: key)
        guard !text.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        return text
    }
}
