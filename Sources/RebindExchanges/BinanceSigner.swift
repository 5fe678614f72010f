import Crypto
import Foundation
import RebindCore

/// Binance's SIGNED requests, as its spot API documents them: the signature is the hex
/// HMAC-SHA256, under the secret key, of the query string followed directly (no separator)
/// by the body; `timestamp` is in milliseconds and `recvWindow` bounds how late the request
/// may arrive. Non-ASCII is percent-encoded (UTF-8) before signing, so what is signed is
/// exactly what is sent.
public struct BinanceSigner: Sendable {
    private let secret: Secret

    public init(secret: Secret) {
        self.secret = secret
    }

    private var key: SymmetricKey { SymmetricKey(data: Data(secret.value.utf8)) }

    /// The lower-case hex signature of `query` followed by `body`, both exactly as sent.
    public func signature(query: String, body: String = "") -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data((query + body).utf8), using: key)
        return Hex.encode(code)
    }

    /// The query string to send: `parameters`, `recvWindow` and `timestamp`, encoded, then
    /// `&signature=` over it and `body`.
    public func signedQuery(
        _ parameters: [(name: String, value: String)],
        body: String = "",
        timestamp: Int64,
        recvWindow: Int
    ) -> String {
        let query = Self.encode(parameters + [("recvWindow", String(recvWindow)), ("timestamp", String(timestamp))])
        return query + "&signature=" + signature(query: query, body: body)
    }

    /// `name=value&…` with everything but RFC 3986's unreserved characters percent-encoded
    /// as UTF-8.
    public static func encode(_ parameters: [(name: String, value: String)]) -> String {
        parameters.map { percentEncoded($0.name) + "=" + percentEncoded($0.value) }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + Hex.byte(byte, uppercase: true)
            }
        }
        return encoded
    }
}
