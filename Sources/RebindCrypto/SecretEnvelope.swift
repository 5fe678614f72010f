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

    /// Seals a value for one place: it opens only as the same context (see `SealContext`).
    public func seal<Value: SealablePayload>(_ value: Value, as context: SealContext) throws -> SealedData {
        try seal(bytes: try value.sealablePayload(), as: context)
    }

    /// Opens what `seal(_:as:)` sealed for this context, as the type it was sealed from.
    public func open<Value: SealablePayload>(_ sealed: SealedData, as context: SealContext, _ type: Value.Type = Value.self) throws -> Value {
        try Value(sealedPayload: try open(bytes: sealed, as: context))
    }

    /// Re-seals under the current key, for `rebind keys rotate`.
    public func reseal(_ sealed: SealedData, as context: SealContext) throws -> SealedData {
        guard sealed.keyID != current.id else { return sealed }
        return try seal(bytes: try open(bytes: sealed, as: context), as: context)
    }

    func seal(bytes: Data, as context: SealContext) throws -> SealedData {
        let box = try AES.GCM.seal(bytes, using: current.symmetricKey, authenticating: Data(context.associatedData.utf8))
        guard let combined = box.combined else { throw Error.cannotOpen }
        return SealedData(keyID: current.id, data: combined)
    }

    func open(bytes sealed: SealedData, as context: SealContext) throws(Error) -> Data {
        guard let key = ([current] + previous).first(where: { $0.id == sealed.keyID }) else {
            throw .unknownKey(id: sealed.keyID)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.data)
            return try AES.GCM.open(box, using: key.symmetricKey, authenticating: Data(context.associatedData.utf8))
        } catch {
            throw .cannotOpen
        }
    }
}

/// A value the envelope can seal: how it becomes bytes and back. A `Secret` or `Data` is
/// sealed as its bytes; any other `Codable` value as its JSON.
public protocol SealablePayload {
    func sealablePayload() throws -> Data
    init(sealedPayload: Data) throws
}

extension SealablePayload where Self: Codable {
    public func sealablePayload() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    public init(sealedPayload: Data) throws {
        self = try JSONDecoder().decode(Self.self, from: sealedPayload)
    }
}

extension Secret: SealablePayload {
    public func sealablePayload() throws -> Data { Data(value.utf8) }
    public init(sealedPayload: Data) throws { self.init(String(decoding: sealedPayload, as: UTF8.self)) }
}

extension Data: SealablePayload {
    public func sealablePayload() throws -> Data { self }
    public init(sealedPayload: Data) throws { self = sealedPayload }
}
