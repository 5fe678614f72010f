import Crypto
import Foundation
import RebindCore

/// Slack's request signing, version `v0`: every request Slack sends carries
/// `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex HMAC-SHA256>` over
/// `v0:<timestamp>:<raw body>`, keyed with the app's signing secret.
///
/// Verify the raw bytes as they arrived, before any parsing: form decoding or JSON
/// re-encoding would change what was signed.
public struct SlackSignature: Sendable {
    /// How far the timestamp may be from `now`, in either direction: Slack's 5 minutes.
    public static let tolerance: TimeInterval = 300
    public static let signatureHeader = "X-Slack-Signature"
    public static let timestampHeader = "X-Slack-Request-Timestamp"
    static let version = "v0"

    /// Why a request was refused. No case carries the secret, the expected signature or the body.
    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// The header is absent or empty.
        case missingHeader(String)
        /// `X-Slack-Request-Timestamp` is not integer seconds since 1970.
        case malformedTimestamp
        /// `X-Slack-Signature` is not `v0=` and 64 hex digits.
        case malformedSignature
        /// The timestamp is more than 5 minutes in the past: possibly a replay.
        case stale
        /// The timestamp is more than 5 minutes in the future.
        case future
        /// Well-formed and in time, but not signed with this secret over this body.
        case mismatch

        /// A short reason, for metrics labels.
        public var reason: String {
            switch self {
            case .missingHeader: "missing_header"
            case .malformedTimestamp: "invalid_timestamp"
            case .malformedSignature: "malformed_signature"
            case .stale: "timestamp_too_old"
            case .future: "timestamp_too_new"
            case .mismatch: "bad_signature"
            }
        }

        public var description: String {
            switch self {
            case .missingHeader(let name): "The \(name) header is missing"
            case .malformedTimestamp: "\(SlackSignature.timestampHeader) must be integer seconds since 1970"
            case .malformedSignature: "\(SlackSignature.signatureHeader) must be v0= followed by 64 hex digits"
            case .stale: "\(SlackSignature.timestampHeader) is more than 300 seconds in the past"
            case .future: "\(SlackSignature.timestampHeader) is more than 300 seconds in the future"
            case .mismatch: "\(SlackSignature.signatureHeader) does not match the body"
            }
        }
    }

    private let signingSecret: Secret

    /// `REBIND_SLACK_SIGNING_SECRET`, as Slack shows it on the app's Basic Information page.
    public init(signingSecret: Secret) {
        self.signingSecret = signingSecret
    }

    /// The `X-Slack-Signature` value for a body sent at `timestamp`: what Slack would send.
    /// For tests and fakes that play Slack.
    public static func sign(timestamp: Int64, body: some DataProtocol, signingSecret: Secret) -> String {
        "\(version)="
            + mac(timestamp: String(timestamp), body: Array(body), signingSecret: signingSecret)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// The two headers Slack would send with this body, for tests that play Slack.
    public static func headers(timestamp: Int64, body: some DataProtocol, signingSecret: Secret) -> [(name: String, value: String)] {
        [
            (timestampHeader, String(timestamp)),
            (signatureHeader, sign(timestamp: timestamp, body: body, signingSecret: signingSecret)),
        ]
    }

    /// Verifies a request from Slack: both headers present and well formed, the timestamp
    /// within 5 minutes of `now`, and the signature Slack's for these exact bytes (compared
    /// in constant time).
    public func verify(timestamp: String?, signature: String?, body: some DataProtocol, now: Date) throws(Error) {
        guard let timestamp, !timestamp.isEmpty else { throw .missingHeader(Self.timestampHeader) }
        guard let signature, !signature.isEmpty else { throw .missingHeader(Self.signatureHeader) }
        guard timestamp.utf8.count <= 18, timestamp.allSatisfy(\.isASCIIDigit), let seconds = Int64(timestamp) else {
            throw .malformedTimestamp
        }
        guard signature.hasPrefix("\(Self.version)="), let candidate = Self.hexBytes(signature.dropFirst(Self.version.count + 1)),
            candidate.count == SHA256.byteCount
        else { throw .malformedSignature }

        let age = now.timeIntervalSince1970 - Double(seconds)
        if age > Self.tolerance { throw .stale }
        if age < -Self.tolerance { throw .future }

        let expected = Self.mac(timestamp: timestamp, body: Array(body), signingSecret: signingSecret)
        guard ConstantTime.equals(expected, candidate) else { throw .mismatch }
    }

    /// HMAC-SHA256 of `v0:<timestamp>:<body>`. The timestamp is signed as the header wrote it.
    private static func mac(timestamp: String, body: [UInt8], signingSecret: Secret) -> [UInt8] {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Array(signingSecret.value.utf8)))
        mac.update(data: Array("\(version):\(timestamp):".utf8))
        mac.update(data: body)
        return Array(mac.finalize())
    }

    /// The bytes of an even run of hex digits (either case); nil for anything else.
    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
