import Foundation

extension KeyConversation {
    /// The conversation as bytes for the store. It holds the secrets collected so far in
    /// plain text: the store must seal it (the app does, with `SecretEnvelope`) and never
    /// keep it otherwise.
    public func snapshot() throws -> Data {
        var stored = Stored(chat: chat, target: target, step: "finished", lastActivityAt: lastActivityAt)
        switch step {
        case .awaitingKey: stored.step = "awaiting_key"
        case .awaitingSecret(let key):
            stored.step = "awaiting_secret"
            stored.apiKey = key
        case .awaitingPassphrase(let key, let secret):
            stored.step = "awaiting_passphrase"
            stored.apiKey = key
            stored.apiSecret = secret.value
        case .checking(let credentials), .applying(let credentials):
            stored.step = step == .checking(credentials) ? "checking" : "applying"
            stored.apiKey = credentials.apiKey
            stored.apiSecret = credentials.apiSecret.value
            stored.passphrase = credentials.passphrase?.value
        case .finished: break
        }
        return try JSONEncoder().encode(stored)
    }

    public enum SnapshotError: Error, CustomStringConvertible {
        case unreadable(String)
        public var description: String {
            switch self {
            case .unreadable(let detail): "A stored conversation could not be read: \(detail)"
            }
        }
    }

    public init(snapshot data: Data) throws {
        let stored: Stored
        do {
            stored = try JSONDecoder().decode(Stored.self, from: data)
        } catch {
            throw SnapshotError.unreadable(String(describing: error))
        }
        func credentials() throws -> ExchangeCredentials {
            guard let key = stored.apiKey, let secret = stored.apiSecret else { throw SnapshotError.unreadable("credentials missing") }
            return ExchangeCredentials(apiKey: key, apiSecret: Secret(secret), passphrase: stored.passphrase.map(Secret.init))
        }
        let step: Step
        switch stored.step {
        case "awaiting_key": step = .awaitingKey
        case "awaiting_secret":
            guard let key = stored.apiKey else { throw SnapshotError.unreadable("key missing") }
            step = .awaitingSecret(apiKey: key)
        case "awaiting_passphrase":
            guard let key = stored.apiKey, let secret = stored.apiSecret else { throw SnapshotError.unreadable("secret missing") }
            step = .awaitingPassphrase(apiKey: key, apiSecret: Secret(secret))
        case "checking": step = .checking(try credentials())
        case "applying": step = .applying(try credentials())
        case "finished": step = .finished
        default: throw SnapshotError.unreadable("unknown step \(stored.step)")
        }
        self.init(chat: stored.chat, target: stored.target, step: step, lastActivityAt: stored.lastActivityAt)
    }

    struct Stored: Codable {
        var chat: ChatAddress
        var target: Target
        var step: String
        var lastActivityAt: Date
        var apiKey: String?
        var apiSecret: String?
        var passphrase: String?
    }
}
