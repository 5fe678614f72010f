import Foundation
import RebindCore

/// The JSON of a binding update as the platform receives it (DESIGN §3):
///
/// ```json
/// {"type": "api_binding.update_requested", "occurred_at": "...",
///  "user": {"id": "u_1001"}, "account": {"id": "acc_42", "exchange": "okx"},
///  "credentials": {"api_key": "...", "api_secret": "...", "passphrase": "..."},
///  "verification": {"checked_at": "...", "can_trade": true, "can_withdraw": false,
///                   "ip_restricted": false, "trading_expires_at": null},
///  "robot_ids": ["rb_7", "rb_8"]}
/// ```
///
/// Times are RFC 3339 in UTC, whole seconds. `passphrase` and `trading_expires_at` are always
/// present, `null` when there is none (a Binance key has no passphrase), so the platform sees
/// one shape for every exchange.
struct BindingUpdateBody: Encodable {
    static let type = "api_binding.update_requested"

    let update: BindingUpdate

    /// The body's bytes. Keys are sorted so that every attempt at one update sends the same
    /// bytes (Foundation's encoder otherwise orders keys differently run to run).
    static func encode(_ update: BindingUpdate) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(BindingUpdateBody(update: update))
    }

    enum CodingKeys: String, CodingKey {
        case type
        case occurredAt = "occurred_at"
        case user, account, credentials, verification
        case robotIDs = "robot_ids"
    }

    enum UserKeys: String, CodingKey {
        case id
    }

    enum AccountKeys: String, CodingKey {
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

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.type, forKey: .type)
        try container.encode(Timestamp.format(update.occurredAt), forKey: .occurredAt)

        var user = container.nestedContainer(keyedBy: UserKeys.self, forKey: .user)
        try user.encode(update.userID, forKey: .id)

        var account = container.nestedContainer(keyedBy: AccountKeys.self, forKey: .account)
        try account.encode(update.accountID, forKey: .id)
        try account.encode(update.exchange, forKey: .exchange)

        // The one place the secrets leave Secret's redaction: the platform needs them.
        var credentials = container.nestedContainer(keyedBy: CredentialKeys.self, forKey: .credentials)
        try credentials.encode(update.credentials.apiKey, forKey: .apiKey)
        try credentials.encode(update.credentials.apiSecret.value, forKey: .apiSecret)
        try credentials.encode(update.credentials.passphrase?.value, forKey: .passphrase)

        let verdict = update.verification
        var verification = container.nestedContainer(keyedBy: VerificationKeys.self, forKey: .verification)
        try verification.encode(Timestamp.format(update.checkedAt), forKey: .checkedAt)
        try verification.encode(verdict.canTrade, forKey: .canTrade)
        try verification.encode(verdict.canWithdraw, forKey: .canWithdraw)
        try verification.encode(verdict.ipRestricted, forKey: .ipRestricted)
        try verification.encode(verdict.tradingExpiresAt.map(Timestamp.format), forKey: .tradingExpiresAt)

        try container.encode(update.robotIDs, forKey: .robotIDs)
    }
}
