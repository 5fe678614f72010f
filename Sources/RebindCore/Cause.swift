/// Why a robot stopped, as far as the key is concerned. The guidance a user gets follows from it.
public enum Cause: String, Codable, Sendable, CaseIterable, Hashable {
    case keyDeleted = "key_deleted"
    case keyExpired = "key_expired"
    case permissionMissing = "permission_missing"
    case ipNotAllowed = "ip_not_allowed"
    case passphraseWrong = "passphrase_wrong"
    case secretWrong = "secret_wrong"
    case notKeyRelated = "not_key_related"
    case unknown

    /// Whether a new or corrected key is the fix. `not_key_related` must never get key guidance.
    public var isKeyRelated: Bool { self != .notKeyRelated }
}
