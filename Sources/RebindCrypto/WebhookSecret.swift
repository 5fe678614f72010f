import Crypto
import Foundation
import RebindCore

/// A Standard Webhooks signing secret, `whsec_` followed by base64 key bytes. Its description
/// is redacted so that logging one by mistake leaks nothing.
public struct WebhookSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private let bytes: [UInt8]

    var key: SymmetricKey { SymmetricKey(data: bytes) }

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
        bytes = keyBytes.withUnsafeBytes { Array($0) }
    }

    /// Parses one `whsec_…` secret. `variable` names where it came from, for the error.
    public init(_ text: String, variable: String) throws(Error) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let encoded = trimmed.hasPrefix("whsec_") ? String(trimmed.dropFirst(6)) : trimmed
        guard let bytes = Data(base64Encoded: encoded), bytes.count >= 16 else {
            throw .malformed(variable: variable)
        }
        self.bytes = Array(bytes)
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
