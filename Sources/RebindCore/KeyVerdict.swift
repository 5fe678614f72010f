import Foundation

/// What a live check found about a key: usable for the robot or not, why not, and what the
/// user should know either way.
///
/// Its JSON (what `rebind exchange check` prints) is `{"usable", "cause", "can_trade",
/// "can_withdraw", "ip_restricted", "trading_expires_at", "warnings", "exchange_uid"}`, every
/// field always present: `cause` null when usable, `trading_expires_at` RFC 3339 or null,
/// `exchange_uid` null when the exchange did not say (it refused the key outright).
public struct KeyVerdict: Sendable, Equatable {
    /// Why the key can't be used; nil when it can.
    public var cause: Cause?
    /// Whether the key can trade what the robot trades (futures for a futures robot).
    public var canTrade: Bool
    public var canWithdraw: Bool
    public var ipRestricted: Bool
    /// When the exchange will withdraw (or withdrew) the key's trading permission.
    public var tradingExpiresAt: Date?
    /// What the user should know, most important first: why the key is refused, what will
    /// happen to it, what to do.
    public var findings: [KeyFinding]
    /// The exchange's id of the account the key belongs to (Binance's `uid`, OKX's `uid`), as
    /// the exchange reported it; nil when it did not describe the key. A new key must belong
    /// to the account's known id (`KeyConversation` decides).
    public var exchangeUID: String?

    /// The findings as English sentences: the JSON's `warnings`.
    public var warnings: [String] { findings.map(\.description) }

    public init(
        cause: Cause?,
        canTrade: Bool = false,
        canWithdraw: Bool = false,
        ipRestricted: Bool = false,
        tradingExpiresAt: Date? = nil,
        findings: [KeyFinding] = [],
        exchangeUID: String? = nil
    ) {
        self.cause = cause
        self.canTrade = canTrade
        self.canWithdraw = canWithdraw
        self.ipRestricted = ipRestricted
        self.tradingExpiresAt = tradingExpiresAt
        self.findings = findings
        self.exchangeUID = exchangeUID
    }

    /// Whether the key may be handed to the platform.
    public var usable: Bool { cause == nil }

    /// A key the exchange would not even describe: nothing is known of its permissions.
    public static func refused(_ cause: Cause, _ finding: KeyFinding) -> KeyVerdict {
        KeyVerdict(cause: cause, findings: [finding])
    }
}

extension KeyVerdict: Codable {
    enum CodingKeys: String, CodingKey {
        case usable, cause
        case canTrade = "can_trade"
        case canWithdraw = "can_withdraw"
        case ipRestricted = "ip_restricted"
        case tradingExpiresAt = "trading_expires_at"
        case warnings
        case exchangeUID = "exchange_uid"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let usable = try container.decode(Bool.self, forKey: .usable)
        let cause = try container.decodeIfPresent(Cause.self, forKey: .cause)
        guard usable == (cause == nil) else {
            throw DecodingError.dataCorruptedError(
                forKey: .cause,
                in: container,
                debugDescription: "cause must be null exactly when usable is true"
            )
        }
        var expires: Date?
        if let text = try container.decodeIfPresent(String.self, forKey: .tradingExpiresAt) {
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .tradingExpiresAt,
                    in: container,
                    debugDescription: "not an RFC 3339 time"
                )
            }
            expires = date
        }
        self.init(
            cause: cause,
            canTrade: try container.decode(Bool.self, forKey: .canTrade),
            canWithdraw: try container.decode(Bool.self, forKey: .canWithdraw),
            ipRestricted: try container.decode(Bool.self, forKey: .ipRestricted),
            tradingExpiresAt: expires,
            findings: try container.decode([String].self, forKey: .warnings).map(KeyFinding.text),
            // Verdicts written before the account id was read have none.
            exchangeUID: try container.decodeIfPresent(String.self, forKey: .exchangeUID)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(usable, forKey: .usable)
        // Both are written as null rather than left out: readers see every field, always.
        try container.encode(cause, forKey: .cause)
        try container.encode(canTrade, forKey: .canTrade)
        try container.encode(canWithdraw, forKey: .canWithdraw)
        try container.encode(ipRestricted, forKey: .ipRestricted)
        try container.encode(tradingExpiresAt.map(Timestamp.format), forKey: .tradingExpiresAt)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(exchangeUID, forKey: .exchangeUID)
    }
}
