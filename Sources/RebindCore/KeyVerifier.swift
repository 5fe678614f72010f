/// Asks an exchange what a key may do, and judges it for a trading robot.
///
/// Adapters (`BinanceKeyVerifier`, `OKXKeyVerifier`) sign and send the exchange's own key
/// query; the judgement itself is `KeyPolicy`'s, so every exchange is held to the same rules.
public protocol KeyVerifier: Sendable {
    /// The exchange's id, as in the catalogue and in events (`binance`, `okx`).
    var exchange: String { get }

    /// The exchange's answer about the key, judged. A refused key is a verdict too (not
    /// usable, with its cause). Throws only when the exchange could not be asked or gave no
    /// usable answer — busy, unreachable, clocks apart — so no verdict exists; the error's
    /// `verdict` is what to show then.
    func verify(_ credentials: ExchangeCredentials, context: KeyCheckContext) async throws(KeyCheckError) -> KeyVerdict
}
