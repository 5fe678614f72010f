import Foundation
import RebindCore
import RebindCrypto

/// Keeps an account's accepted key sealed and bound to the account, with what the check
/// found (for `/keys`): in standalone mode when the key is accepted, otherwise once the
/// platform has it.
struct CredentialVault: Sendable {
    let store: any CredentialStore
    let envelope: SecretEnvelope
    let now: @Sendable () -> Date

    /// What is sealed: the key, secret and passphrase as one JSON object.
    struct Stored: Codable, SealablePayload {
        var apiKey: String
        var apiSecret: String
        var passphrase: String?

        enum CodingKeys: String, CodingKey {
            case apiKey = "api_key"
            case apiSecret = "api_secret"
            case passphrase
        }
    }

    func keep(_ credentials: ExchangeCredentials, verdict: KeyVerdict, userID: String, accountID: String, exchange: String) async throws {
        let stored = Stored(apiKey: credentials.apiKey, apiSecret: credentials.apiSecret.value, passphrase: credentials.passphrase?.value)
        try await store.saveCredentials(
            accountID: accountID,
            userID: userID,
            exchange: exchange,
            keyHint: credentials.keyHint,
            sealed: try envelope.seal(stored, as: .binding(accountID: accountID)),
            verdict: verdict,
            now: now()
        )
    }
}
