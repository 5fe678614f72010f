import Crypto
import Foundation
import RebindCore

/// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256>` over `id.timestamp.body`.
/// Used for inbound events and links, and for the binding updates Rebind sends.
public struct StandardWebhooks: Sendable {
    public static let tolerance: TimeInterval = 300

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case noSecretConfigured
        case missingHeader(String)
        case invalidTimestamp
        case timestampTooOld
        case timestampTooNew
        case noMatchingSignature

        /// A short reason, for metrics labels.
        public var reason: String {
            switch self {
            case .noSecretConfigured: "no_secret_configured"
            case .missingHeader: "missing_header"
            case .invalidTimestamp: "invalid_timestamp"
            case .timestampTooOld: "timestamp_too_old"
            case .timestampTooNew: "timestamp_too_new"
            case .noMatchingSignature: "bad_signature"
            }
        }

        public var description: String {
            switch self {
            case .noSecretConfigured: "No signing secret is configured, so no request can be verified"
            case .missingHeader(let name): "The \(name) header is missing"
            case .invalidTimestamp: "webhook-timestamp must be integer seconds since 1970"
            case .timestampTooOld: "webhook-timestamp is more than 300 seconds in the past"
            case .timestampTooNew: "webhook-timestamp is more than 300 seconds in the future"
            case .noMatchingSignature: "No v1 signature in webhook-signature matches the body"
            }
        }
    }

    public var secrets: [WebhookSecret]

    public init(secrets: [WebhookSecret]) {
        self.secrets = secrets
    }

    /// The `v1,<base64>` signature of a message under one secret.
    public static func sign(id: String, timestamp: Int64, body: some DataProtocol, secret: WebhookSecret) -> String {
        var mac = secret.mac
        mac.update(data: Array("\(id).\(timestamp).".utf8))
        mac.update(data: Array(body))
        return "v1," + Data(mac.finalize()).base64EncodedString()
    }

    /// The three headers for an outbound message, signed with the first secret.
    public func headers(id: String, timestamp: Int64, body: some DataProtocol) throws(Error) -> [(name: String, value: String)] {
        guard let secret = secrets.first else { throw .noSecretConfigured }
        return [
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", Self.sign(id: id, timestamp: timestamp, body: body, secret: secret)),
        ]
    }

    /// Verifies an inbound message. Accepts it if any `v1` entry matches any configured
    /// secret, so old and new secrets overlap during rotation. The body is `Data`, not any
    /// `DataProtocol`: every event is checked here, and a generic body ran unspecialised from
    /// the caller's module (bench/README.md, issue 15).
    public func verify(
        id: String?,
        timestamp: String?,
        signature: String?,
        body: Data,
        now: Date
    ) throws(Error) {
        guard !secrets.isEmpty else { throw .noSecretConfigured }
        guard let id, !id.isEmpty else { throw .missingHeader("webhook-id") }
        guard let timestamp, !timestamp.isEmpty else { throw .missingHeader("webhook-timestamp") }
        guard let signature, !signature.isEmpty else { throw .missingHeader("webhook-signature") }
        guard timestamp.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let seconds = Int64(timestamp) else {
            throw .invalidTimestamp
        }
        let age = now.timeIntervalSince1970 - Double(seconds)
        if age > Self.tolerance { throw .timestampTooOld }
        if age < -Self.tolerance { throw .timestampTooNew }

        let candidates = Self.v1Signatures(signature)
        var signed = id
        signed += "."
        signed += timestamp
        signed += "."
        var matched = false
        for secret in secrets {
            var mac = secret.mac
            signed.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
            body.withUnsafeBytes { mac.update(data: $0) }
            let expected = Array(mac.finalize())
            // Check every entry rather than stopping early, so timing says nothing of which matched.
            for candidate in candidates where ConstantTime.equals(expected, candidate) {
                matched = true
            }
        }
        guard matched else { throw .noMatchingSignature }
    }

    /// The decoded `v1,<base64>` entries of a `webhook-signature` header, whose entries are
    /// separated by spaces; entries of other versions, and undecodable ones, are skipped.
    /// Split on the header's bytes: splitting the `String` by `Character` cost more than the
    /// MAC (bench/README.md, issue 15).
    static func v1Signatures(_ header: String) -> [Data] {
        var header = header
        return header.withUTF8 { bytes in
            bytes.split(separator: UInt8(ascii: " ")).compactMap { entry in
                guard entry.count > 3, entry.starts(with: "v1,".utf8) else { return nil }
                return Data(base64Encoded: Data(entry.dropFirst(3)))
            }
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
