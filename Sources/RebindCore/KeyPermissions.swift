import Foundation

/// What an exchange says a key may do, read from its own answer (Binance's API
/// restrictions, OKX's account configuration). `KeyPolicy` judges it.
public struct KeyPermissions: Sendable, Equatable {
    /// The exchange's name as users know it (`Binance`, `OKX`), for the verdict's wording.
    public var exchangeName: String
    public var canRead: Bool
    public var canTradeSpot: Bool
    public var canTradeFutures: Bool
    public var canWithdraw: Bool
    /// Whether the key accepts requests only from whitelisted IP addresses.
    public var ipRestricted: Bool
    /// When the exchange withdraws the key's spot trading permission (Binance's
    /// `tradingAuthorityExpirationTime`); nil when it does not.
    public var tradingExpiresAt: Date?
    /// OKX deletes a key that can trade and has no IP bound after this many days unused; nil
    /// where the exchange has no such rule.
    public var idleDeletionDaysWithoutIP: Int?

    public init(
        exchangeName: String,
        canRead: Bool,
        canTradeSpot: Bool,
        canTradeFutures: Bool,
        canWithdraw: Bool,
        ipRestricted: Bool,
        tradingExpiresAt: Date? = nil,
        idleDeletionDaysWithoutIP: Int? = nil
    ) {
        self.exchangeName = exchangeName
        self.canRead = canRead
        self.canTradeSpot = canTradeSpot
        self.canTradeFutures = canTradeFutures
        self.canWithdraw = canWithdraw
        self.ipRestricted = ipRestricted
        self.tradingExpiresAt = tradingExpiresAt
        self.idleDeletionDaysWithoutIP = idleDeletionDaysWithoutIP
    }
}
