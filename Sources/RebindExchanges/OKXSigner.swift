import Crypto
import Foundation
import RebindCore

/// OKX v5's request signature: `OK-ACCESS-SIGN` = Base64(HMAC-SHA256(timestamp + METHOD +
/// requestPath + body)) under the secret key, where requestPath includes the query and the
/// timestamp is ISO-8601 UTC with milliseconds, the same string sent as
/// `OK-ACCESS-TIMESTAMP`.
public struct OKXSigner: Sendable {
    private let secret: Secret

    public init(secret: Secret) {
        self.secret = secret
    }

    private var key: SymmetricKey { SymmetricKey(data: Data(secret.value.utf8)) }

    public func signature(timestamp: String, method: String, requestPath: String, body: String = "") -> String {
        let prehash = timestamp + method.uppercased() + requestPath + body
        let code = HMAC<SHA256>.authenticationCode(for: Data(prehash.utf8), using: key)
        return Data(code).base64EncodedString()
    }

    /// The four `OK-ACCESS-*` headers of a signed request.
    public func headers(
        apiKey: String,
        passphrase: Secret?,
        timestamp: String,
        method: String,
        requestPath: String,
        body: String = ""
    ) -> [(name: String, value: String)] {
        [
            ("OK-ACCESS-KEY", apiKey),
            ("OK-ACCESS-SIGN", signature(timestamp: timestamp, method: method, requestPath: requestPath, body: body)),
            ("OK-ACCESS-TIMESTAMP", timestamp),
            ("OK-ACCESS-PASSPHRASE", passphrase?.value ?? ""),
        ]
    }

    /// `2020-12-08T09:08:57.715Z`: UTC, always three digits of milliseconds.
    public static func timestamp(_ date: Date) -> String {
        timestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    public static func timestamp(milliseconds: Int64) -> String {
        let (seconds, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        // Before 1970 the remainder is negative; borrow a second so milliseconds stay 0–999.
        let wholeSeconds = remainder < 0 ? seconds - 1 : seconds
        let millisecond = remainder < 0 ? remainder + 1000 : remainder
        let base = Date(timeIntervalSince1970: TimeInterval(wholeSeconds)).formatted(.iso8601)
        let digits = String(millisecond)
        return base.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
