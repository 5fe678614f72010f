import Foundation
import RebindCore

/// The JSON of an expiry warning as the platform receives it (DESIGN §3, "Outbound
/// `api_binding.expiring`"):
///
/// ```json
/// {"type": "api_binding.expiring", "occurred_at": "...", "user": {"id": "u_1001"},
///  "account": {"id": "acc_42", "exchange": "binance"},
///  "expires_at": "2026-12-12T08:00:00Z", "days_left": 7, "source": "catalogue"}
/// ```
///
/// `days_left` is the real count when the warning is sent, whole days rounded up. Times are
/// RFC 3339 in UTC, whole seconds; keys sorted, so every attempt sends the same bytes.
public struct ExpiringEventBody: Encodable, Sendable, Equatable {
    public static let type = "api_binding.expiring"

    public var occurredAt: Date
    public var userID: String
    public var accountID: String
    public var exchange: String
    public var expiresAt: Date
    public var daysLeft: Int
    public var source: KeyExpiry.Source

    public init(occurredAt: Date, userID: String, accountID: String, exchange: String, expiresAt: Date, daysLeft: Int, source: KeyExpiry.Source) {
        self.occurredAt = occurredAt
        self.userID = userID
        self.accountID = accountID
        self.exchange = exchange
        self.expiresAt = expiresAt
        self.daysLeft = daysLeft
        self.source = source
    }

    /// The body's bytes. Only strings and numbers go in, so encoding cannot fail.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    enum CodingKeys: String, CodingKey {
        case type
        case occurredAt = "occurred_at"
        case user, account
        case expiresAt = "expires_at"
        case daysLeft = "days_left"
        case source
    }

    enum UserKeys: String, CodingKey {
        case id
    }

    enum AccountKeys: String, CodingKey {
        case id, exchange
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(Timestamp.format(occurredAt), forKey: .occurredAt)
        var user = container.nestedContainer(keyedBy: UserKeys.self, forKey: .user)
        try user.encode(userID, forKey: .id)
        var account = container.nestedContainer(keyedBy: AccountKeys.self, forKey: .account)
        try account.encode(accountID, forKey: .id)
        try account.encode(exchange, forKey: .exchange)
        try container.encode(Timestamp.format(expiresAt), forKey: .expiresAt)
        try container.encode(daysLeft, forKey: .daysLeft)
        try container.encode(source.rawValue, forKey: .source)
    }
}
