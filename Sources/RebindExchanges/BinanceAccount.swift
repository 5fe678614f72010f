import Foundation

/// The part of Binance's answer to `GET /api/v3/account` that a key check reads: the id of the
/// account the key belongs to. Binance writes it as a JSON number (`"uid": 354937868`).
public struct BinanceAccount: Decodable, Sendable, Equatable {
    public var uid: Int64

    public init(uid: Int64) {
        self.uid = uid
    }

    /// The id as Rebind compares and stores it: decimal digits.
    public var exchangeUID: String { String(uid) }
}
