/// The stored secrets as a whole, for `rebind keys rotate` and its checks: every store that
/// keeps sealed values can re-seal them all under a new key.
public protocol SealedSecretStore: Sendable {
    /// Re-seals every stored secret (credentials, conversations) in one transaction. `reseal`
    /// gets each value with the context it is bound to. Returns how many were re-sealed.
    func rotateSecrets(_ reseal: @escaping @Sendable (SealedData, SealContext) throws -> SealedData) async throws -> Int
    /// Every stored credential, sealed.
    func sealedCredentials() async throws -> [(accountID: String, sealed: SealedData)]
}
