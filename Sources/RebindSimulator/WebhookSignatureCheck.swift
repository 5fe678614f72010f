import Crypto
import Foundation

/// A Standard Webhooks receiver's check, written from the specification rather than shared
/// with Rebind's signer, so a mistake in one is not repeated in the other: the three headers
/// present, `webhook-timestamp` integer seconds within 300 s of the receiver's clock, and
/// some `v1,<base64>` entry of `webhook-signature` equal to HMAC-SHA256 over
/// `id.timestamp.body` under the base64-decoded part of the `whsec_…` secret.
struct WebhookSignatureCheck: Sendable {
    static let tolerance: TimeInterval = 300

    private let key: Data
    private let now: @Sendable () -> Date

    /// Nil when `secret` is not `whsec_` followed by base64.
    init?(secret: String, now: @escaping @Sendable () -> Date) {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))), !key.isEmpty else {
            return nil
        }
        self.key = key
        self.now = now
    }

    /// Why the request is refused; nil when it is signed correctly.
    func refusal(of request: RecordedRequest) -> String? {
        guard let id = request.header("webhook-id"), !id.isEmpty else { return "webhook-id is missing" }
        guard let timestamp = request.header("webhook-timestamp"), !timestamp.isEmpty else {
            return "webhook-timestamp is missing"
        }
        guard let signature = request.header("webhook-signature"), !signature.isEmpty else {
            return "webhook-signature is missing"
        }
        guard timestamp.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let seconds = Int64(timestamp)
        else { return "webhook-timestamp is not integer seconds" }
        guard abs(now().timeIntervalSince1970 - TimeInterval(seconds)) <= Self.tolerance else {
            return "webhook-timestamp is more than 300 seconds away"
        }
        let signed = Data("\(id).\(timestamp).".utf8) + request.body
        let symmetricKey = SymmetricKey(data: key)
        let matches = signature.split(separator: " ").contains { entry in
            guard entry.hasPrefix("v1,"), let mac = Data(base64Encoded: String(entry.dropFirst(3))) else { return false }
            // Constant time, as a real receiver must.
            return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: symmetricKey)
        }
        return matches ? nil : "no v1 signature matches"
    }
}
