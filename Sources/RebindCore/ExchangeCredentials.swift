/// An exchange API key as the user gave it: the key, its secret and, for OKX, the passphrase
/// the user chose when creating it. Its description shows only the key's last characters.
public struct ExchangeCredentials: Sendable, Equatable, CustomStringConvertible {
    public var apiKey: String
    public var apiSecret: Secret
    public var passphrase: Secret?

    public init(apiKey: String, apiSecret: Secret, passphrase: Secret? = nil) {
        self.apiKey = apiKey
        self.apiSecret = apiSecret
        self.passphrase = passphrase
    }

    /// The key's last four characters: all of it Rebind ever shows. Short keys show nothing.
    public var keyHint: String {
        apiKey.count >= 12 ? String(apiKey.suffix(4)) : ""
    }

    public var description: String { "API key …\(keyHint)" }
}
