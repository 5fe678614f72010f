import Foundation

/// An `api_binding.expiring` event as the fake platform reads it (DESIGN §3): every field
/// required, times RFC 3339, `source` one of the four the design names.
public struct ReceivedExpiringEvent: Decodable, Sendable, Equatable {
    public var occurredAt: String
    public var userID: String
    public var accountID: String
    public var exchange: String
    public var expiresAt: String
    public var daysLeft: Int
    public var source: String

    enum CodingKeys: String, CodingKey {
        case type, user, account, source
        case occurredAt = "occurred_at"
        case expiresAt = "expires_at"
        case daysLeft = "days_left"
    }

    enum IDKeys: String, CodingKey {
        case id, exchange
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard try container.decode(String.self, forKey: .type) == "api_binding.expiring" else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "must be api_binding.expiring")
        }
        occurredAt = try Self.time(.occurredAt, in: container)
        expiresAt = try Self.time(.expiresAt, in: container)
        let user = try container.nestedContainer(keyedBy: IDKeys.self, forKey: .user)
        userID = try user.decode(String.self, forKey: .id)
        let account = try container.nestedContainer(keyedBy: IDKeys.self, forKey: .account)
        accountID = try account.decode(String.self, forKey: .id)
        exchange = try account.decode(String.self, forKey: .exchange)
        daysLeft = try container.decode(Int.self, forKey: .daysLeft)
        source = try container.decode(String.self, forKey: .source)
        guard ["platform", "exchange", "ip_restricted", "catalogue"].contains(source) else {
            throw DecodingError.dataCorruptedError(forKey: .source, in: container, debugDescription: "unknown source \(source)")
        }
    }

    static func time(_ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>) throws -> String {
        let text = try container.decode(String.self, forKey: key)
        guard (try? Date.ISO8601FormatStyle().parse(text)) != nil else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an RFC 3339 time")
        }
        return text
    }
}
