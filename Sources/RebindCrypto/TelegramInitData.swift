import Crypto
import Foundation
import RebindCore

/// The launch data a Telegram Mini App receives (`Telegram.WebApp.initData`), verified by
/// Telegram's documented algorithm: the data-check-string is every field except `hash`, as
/// `key=value` with values URL-decoded, sorted by key and joined by `\n`; the secret key is
/// HMAC-SHA256(key = "WebAppData", message = bot token); the data is Telegram's when `hash` is
/// the hex HMAC-SHA256 of the data-check-string under that key. Compared in constant time.
///
/// Telegram sets no maximum age; a key form takes minutes at most, so `auth_date` is bounded.
public struct TelegramInitData: Sendable, Equatable {
    /// The Telegram user who opened the Mini App.
    public var userID: Int64
    /// The user's app language (`user.language_code`), if it says.
    public var languageCode: String?
    public var authDate: Date

    public init(userID: Int64, languageCode: String?, authDate: Date) {
        self.userID = userID
        self.languageCode = languageCode
        self.authDate = authDate
    }

    /// How far ahead of `now` an `auth_date` may be (clocks differ a little).
    public static let allowedSkew: TimeInterval = 60

    /// Why launch data was refused. No case carries the data, the hash or the bot token.
    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// Not a query string of `key=value` pairs, or a value that does not URL-decode.
        case malformed
        /// A field appears twice: which one counts would be ambiguous, so neither does.
        case duplicateField(String)
        case missingHash
        /// Well-formed, but not signed by this bot.
        case mismatch
        /// `auth_date` missing or not Unix seconds.
        case missingAuthDate
        /// Older than the allowed age.
        case stale
        /// Further ahead than clocks may differ.
        case future
        /// Signed, but without a user (`user.id`): a launch that names nobody.
        case missingUser

        /// The case's name alone, for logs: nothing of the unverified data.
        public var kind: String {
            switch self {
            case .malformed: "malformed"
            case .duplicateField: "duplicate_field"
            case .missingHash: "missing_hash"
            case .mismatch: "mismatch"
            case .missingAuthDate: "missing_auth_date"
            case .stale: "stale"
            case .future: "future"
            case .missingUser: "missing_user"
            }
        }

        public var description: String {
            switch self {
            case .malformed: "init_data is not a query string"
            case .duplicateField(let name): "init_data has the field \(name) twice"
            case .missingHash: "init_data has no hash"
            case .mismatch: "init_data is not signed by this bot"
            case .missingAuthDate: "init_data has no auth_date"
            case .stale: "init_data is too old: open the form again from the chat"
            case .future: "init_data is dated in the future"
            case .missingUser: "init_data names no user"
            }
        }
    }

    /// Verifies `raw` (the query string, verbatim) for the bot with `botToken`, at most
    /// `maximumAge` seconds old at `now`.
    public static func verify(_ raw: String, botToken: Secret, maximumAge: TimeInterval, now: Date) throws(Error) -> TelegramInitData {
        let fields = try parse(raw)
        guard let hash = fields["hash"] else { throw .missingHash }
        let expected = signature(of: fields, botToken: botToken)
        // Compared as text of a fixed length: a hash of another length or case is simply unequal.
        guard ConstantTime.equals(Array(hash.lowercased().utf8), Array(expected.utf8)) else { throw .mismatch }
        guard let seconds = fields["auth_date"].flatMap({ Int64($0) }) else { throw .missingAuthDate }
        let authDate = Date(timeIntervalSince1970: TimeInterval(seconds))
        if now.timeIntervalSince(authDate) > maximumAge { throw .stale }
        if authDate.timeIntervalSince(now) > allowedSkew { throw .future }
        guard let user = fields["user"].flatMap({ try? JSONDecoder().decode(User.self, from: Data($0.utf8)) }) else { throw .missingUser }
        return TelegramInitData(userID: user.id, languageCode: user.languageCode, authDate: authDate)
    }

    /// The hex signature Telegram puts in `hash` for these fields (every one but `hash`).
    public static func signature(of fields: [String: String], botToken: Secret) -> String {
        let check = fields.filter { $0.key != "hash" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        let secretKey = HMAC<SHA256>.authenticationCode(for: Data(botToken.value.utf8), using: SymmetricKey(data: Data("WebAppData".utf8)))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(check.utf8), using: SymmetricKey(data: Data(secretKey)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The fields of a query string, URL-decoded (`+` is a space, as in a form).
    static func parse(_ raw: String) throws(Error) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let name = decode(parts[0]), !name.isEmpty, let value = decode(parts[1]) else { throw .malformed }
            guard fields.updateValue(value, forKey: name) == nil else { throw .duplicateField(name) }
        }
        guard !fields.isEmpty else { throw .malformed }
        return fields
    }

    static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    struct User: Decodable {
        var id: Int64
        var languageCode: String?

        enum CodingKeys: String, CodingKey {
            case id
            case languageCode = "language_code"
        }
    }
}
