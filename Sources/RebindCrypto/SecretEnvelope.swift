import Crypto
import Foundation
import RebindCore

/// Secrets at rest: AES-256-GCM under a key-encryption key, with the key's id stored beside
/// the ciphertext so that older ciphertexts still open after a rotation, and the owning row
/// (for example `binding:acc_42:api_secret`) bound in as associated data, so a ciphertext
/// copied onto another row does not open.
public struct SecretEnvelope: Sendable {
    /// A key-encryption key and its id.
    public struct Key: Sendable, CustomStringConvertible {
        public let id: String
        private let bytes: [UInt8]

        var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

        public enum Error: Swift.Error, Equatable, CustomStringConvertible {
            case malformed(variable: String)

            public var description: String {
                switch self {
                case .malformed(let variable): "\(variable) must be 32 bytes in base64 (openssl rand -base64 32)"
                }
            }
        }

        /// A key from its base64 text. Its id is derived from the key itself (the first bytes
        /// of its SHA-256), so every replica configured with the same key agrees on the id
        /// and the id reveals nothing usable.
        public init(base64: Secret, variable: String) throws(Error) {
            guard let data = Data(base64Encoded: base64.value.trimmingCharacters(in: .whitespacesAndNewlines)),
                data.count == 32
            else { throw .malformed(variable: variable) }
            bytes = Array(data)
            id = SHA256.hash(data: data).prefix(6).map { String(format: "%02x", $0) }.joined()
        }

        public var description: String { "SecretEnvelope.Key(id: \(id))" }
    }

    /// What is stored: which key sealed it, and the combined nonce, ciphertext and tag.
    public struct Sealed: Sendable, Equatable, Codable {
        public var keyID: String
        public var combined: Data

        public init(keyID: String, combined: Data) {
            self.keyID = keyID
            self.combined = combined
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case unknownKey(id: String)
        case cannotOpen

        public var description: String {
            switch self {
            case .unknownKey(let id):
                "A stored secret was sealed with key \(id), which is not configured; add it back to open old secrets"
            case .cannotOpen: "A stored secret failed authentication: wrong key, wrong row, or altered ciphertext"
            }
        }
    }

    /// The key new secrets are sealed with.
    public let current: Key
    /// Keys that still open older secrets.
    public let previous: [Key]

    public init(current: Key, previous: [Key] = []) {
        self.current = current
        self.previous = previous
    }

    public func seal(_ secret: Secret, boundTo context: String) throws -> Sealed {
        let box = try AES.GCM.seal(Data(secret.value.utf8), using: current.symmetricKey, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw Error.cannotOpen }
        return Sealed(keyID: current.id, combined: combined)
    }

    public func open(_ sealed: Sealed, boundTo context: String) throws(Error) -> Secret {
        guard let key = ([current] + previous).first(where: { $0.id == sealed.keyID }) else {
            throw .unknownKey(id: sealed.keyID)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.combined)
            let plaintext = try AES.GCM.open(box, using: key.symmetricKey, authenticating: Data(context.utf8))
            return Secret(String(decoding: plaintext, as: UTF8.self))
        } catch {
            throw .cannotOpen
        }
    }

    /// Re-seals under the current key, for `rebind keys rotate`.
    public func reseal(_ sealed: Sealed, boundTo context: String) throws -> Sealed {
        guard sealed.keyID != current.id else { return sealed }
        return try seal(try open(sealed, boundTo: context), boundTo: context)
    }
}
