import Crypto
import Foundation
import RebindCore

/// A Standard Webhooks signing secret, `whsec_` followed by base64 key bytes. Its description
/// is redacted so that logging one by mistake leaks nothing.
public struct WebhookSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// HMAC-SHA256 with the key already absorbed. Setting up a key hashes two blocks, which a
    /// signature check of every event need not repeat (bench/README.md, issue 15): each MAC
    /// starts from a copy of this one.
    private let keyed: KeyedMAC

    /// A MAC ready for the message, keyed with this secret.
    var mac: HMAC<SHA256> { keyed.mac }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case malformed(variable: String)

        public var description: String {
            switch self {
            case .malformed(let variable):
                "\(variable) must hold secrets of the form whsec_<base64>, separated by spaces"
            }
        }
    }

    public init(keyBytes: some ContiguousBytes) {
        self.init(key: SymmetricKey(data: keyBytes))
    }

    private init(key: SymmetricKey) {
        keyed = KeyedMAC(key: key)
    }

    /// Parses one `whsec_…` secret. `variable` names where it came from, for the error.
    public init(_ text: String, variable: String) throws(Error) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let encoded = trimmed.hasPrefix("whsec_") ? String(trimmed.dropFirst(6)) : trimmed
        guard let bytes = Data(base64Encoded: encoded), bytes.count >= 16 else {
            throw .malformed(variable: variable)
        }
        self.init(key: SymmetricKey(data: bytes))
    }

    /// Parses a space-separated list of secrets, as used during rotation.
    public static func list(_ text: String, variable: String) throws(Error) -> [WebhookSecret] {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" })
        var secrets: [WebhookSecret] = []
        for part in parts {
            secrets.append(try WebhookSecret(String(part), variable: variable))
        }
        return secrets
    }

    /// A fresh random secret, in the `whsec_` text form an operator pastes into configuration.
    public static func generate() -> (secret: WebhookSecret, text: String) {
        let key = SymmetricKey(size: .bits256)
        let text = "whsec_" + key.withUnsafeBytes { Data($0).base64EncodedString() }
        return (WebhookSecret(keyBytes: key.withUnsafeBytes { Data($0) }), text)
    }

    public var description: String { "whsec_<redacted>" }
    public var debugDescription: String { description }
}

/// A keyed HMAC shared by every check. `HMAC` is a value whose hash states copy themselves
/// before their first change when shared (swift-crypto's digests are copy-on-write), so each
/// copy taken from here is a MAC of its own and this one is never changed; swift-crypto does
/// not mark it `Sendable`.
private struct KeyedMAC: @unchecked Sendable {
    let mac: HMAC<SHA256>

    init(key: SymmetricKey) {
        mac = HMAC(key: key)
    }
}
