/// Binance's error body: `{"code": -1022, "msg": "Signature for this request is not valid."}`.
struct BinanceErrorAnswer: Decodable, Sendable, Equatable {
    var code: Int
    var msg: String
}
