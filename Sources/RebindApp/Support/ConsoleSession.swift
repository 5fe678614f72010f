import Crypto
import Foundation
import RebindCore
import RebindCrypto

/// The console's browser session and its CSRF tokens (DESIGN §11).
///
/// Signing in with `REBIND_ADMIN_TOKEN` sets a cookie `rebind_console=<expiry>.<MAC>`: an
/// HMAC-SHA256, under a key derived from the admin token, of its expiry — so the token itself
/// never sits in the browser, a new token ends every session, and nothing is kept on the server
/// (any replica checks it). The cookie is HttpOnly, SameSite=Strict and scoped to `/console`.
///
/// Every form carries a CSRF token: the MAC of the session it belongs to (the cookie value;
/// `bearer` for a request that presented the token; `loopback` without a token, where the key is
/// per process). A page on another site can neither read it nor post without it. All checks are
/// constant time.
struct ConsoleSession: Sendable {
    static let cookieName = "rebind_console"
    static let lifetime: TimeInterval = 12 * 3600
    /// The MAC key's bytes (a `SymmetricKey` is made per use: it is not Sendable).
    let keyData: Data
    let tokenSet: Bool

    init(adminToken: Secret?) {
        if let adminToken {
            keyData = Data(
                HMAC<SHA256>.authenticationCode(for: Data("rebind console session".utf8), using: SymmetricKey(data: Data(adminToken.value.utf8)))
            )
            tokenSet = true
        } else {
            keyData = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            tokenSet = false
        }
    }

    func mac(_ text: String) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: keyData))))
    }

    /// A new session's cookie value, valid for `lifetime`.
    func issue(now: Date) -> String {
        let expiry = String(Int64(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970))
        return "\(expiry).\(mac("session|" + expiry))"
    }

    /// Whether a cookie value is one `issue` made with this key and has not expired.
    func isValid(_ value: String, now: Date) -> Bool {
        guard tokenSet, let dot = value.firstIndex(of: ".") else { return false }
        let expiry = String(value[..<dot])
        guard let seconds = Int64(expiry), Double(seconds) > now.timeIntervalSince1970 else { return false }
        return ConstantTime.equals(String(value[value.index(after: dot)...]), mac("session|" + expiry))
    }

    /// The CSRF token for forms of this session.
    func csrf(for identity: String) -> String { mac("csrf|" + identity) }

    func isValidCSRF(_ presented: String?, for identity: String) -> Bool {
        guard let presented else { return false }
        return ConstantTime.equals(presented, csrf(for: identity))
    }

    /// The session cookie's values in a `Cookie` header (a browser may send several of the
    /// same name, e.g. one planted by a sibling domain beside the real one).
    static func cookies(in header: String?) -> [String] {
        guard let header else { return [] }
        return header.split(separator: ";").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName else { return nil }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }

    /// The first session cookie in a `Cookie` header that is valid now.
    func validCookie(in header: String?, now: Date) -> String? {
        Self.cookies(in: header).first { isValid($0, now: now) }
    }

    /// `Set-Cookie` for a new session; `Secure` when the request came over HTTPS (through a proxy).
    static func setCookie(_ value: String, secure: Bool) -> String {
        "\(cookieName)=\(value); Path=/console; Max-Age=\(Int(lifetime)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static let clearCookie = "\(cookieName)=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict"
}
