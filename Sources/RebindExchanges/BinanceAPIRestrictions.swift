import Foundation
import RebindCore

/// Binance's answer to `GET /sapi/v1/account/apiRestrictions`: what the key in use may do.
public struct BinanceAPIRestrictions: Decodable, Sendable, Equatable {
    public var ipRestrict: Bool
    /// Epoch milliseconds.
    public var createTime: Int64?
    public var enableReading: Bool
    public var enableSpotAndMarginTrading: Bool
    public var enableFutures: Bool
    public var enableWithdrawals: Bool
    public var enableMargin: Bool?
    /// Epoch milliseconds at which spot and margin trading lapses; absent when it does not.
    public var tradingAuthorityExpirationTime: Int64?

    enum CodingKeys: String, CodingKey {
        case ipRestrict, createTime, enableReading, enableSpotAndMarginTrading, enableFutures, enableWithdrawals,
            enableMargin, tradingAuthorityExpirationTime
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ipRestrict = try container.decode(Bool.self, forKey: .ipRestrict)
        createTime = try container.decodeIfPresent(Int64.self, forKey: .createTime)
        enableReading = try container.decode(Bool.self, forKey: .enableReading)
        enableSpotAndMarginTrading = try container.decode(Bool.self, forKey: .enableSpotAndMarginTrading)
        // Older keys' answers may leave out the products they were never offered.
        enableFutures = try container.decodeIfPresent(Bool.self, forKey: .enableFutures) ?? false
        enableWithdrawals = try container.decode(Bool.self, forKey: .enableWithdrawals)
        enableMargin = try container.decodeIfPresent(Bool.self, forKey: .enableMargin)
        tradingAuthorityExpirationTime = try container.decodeIfPresent(Int64.self, forKey: .tradingAuthorityExpirationTime)
    }

    public var createdAt: Date? {
        createTime.map(Self.date(milliseconds:))
    }

    /// When spot trading lapses; a zero time means none.
    public var tradingExpiresAt: Date? {
        tradingAuthorityExpirationTime.flatMap { $0 > 0 ? Self.date(milliseconds: $0) : nil }
    }

    public var permissions: KeyPermissions {
        KeyPermissions(
            exchangeName: "Binance",
            canRead: enableReading,
            canTradeSpot: enableSpotAndMarginTrading,
            canTradeFutures: enableFutures,
            canWithdraw: enableWithdrawals,
            ipRestricted: ipRestrict,
            tradingExpiresAt: tradingExpiresAt
        )
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }
}
