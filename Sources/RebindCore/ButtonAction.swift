/// What a button in a message does when tapped, as the typed value behind Telegram's
/// `callback_data` and Slack's button `value`. Accounts and incidents are named by a short
/// reference (a hash prefix, see `reference`), never by their id: the data travels through
/// the chat platform and must stay within Telegram's 64 bytes.
public enum ButtonAction: Sendable, Hashable, Codable {
    /// Start the key flow for an account.
    case updateKey(account: String)
    /// Send the incident again later.
    case remindLater(incident: String)
    /// Link this chat with the link whose token hashes to this (base64url SHA-256): the
    /// question `/start <token>` asked. The token itself never travels in a button.
    case confirmLink(tokenHash: String)
    /// Leave the chat as it is: the link question is answered no.
    case cancelLink
    /// Detach this chat from its user: the question `/unlink` asked.
    case confirmUnlink
    /// Keep the chat linked.
    case cancelUnlink

    /// Telegram's limit on `callback_data`, in bytes.
    public static let maxEncodedBytes = 64

    /// The wire form: a one-letter kind, a colon, the reference (`u:3f9a…`). Kept as it was
    /// before the type existed, so buttons in messages already sent still work.
    public var encoded: String {
        switch self {
        case .updateKey(let account): "u:" + account
        case .remindLater(let incident): "l:" + incident
        case .confirmLink(let tokenHash): "c:" + tokenHash
        case .cancelLink: "n:link"
        case .confirmUnlink: "d:unlink"
        case .cancelUnlink: "n:unlink"
        }
    }

    /// The action a button's data names; nil for data Rebind did not write (or too long to be
    /// its own).
    public static func parse(_ data: String) -> ButtonAction? {
        guard data.utf8.count <= maxEncodedBytes, let colon = data.firstIndex(of: ":") else { return nil }
        let reference = String(data[data.index(after: colon)...])
        guard !reference.isEmpty, reference.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            return nil
        }
        switch data[..<colon] {
        case "u": return .updateKey(account: reference)
        case "l": return .remindLater(incident: reference)
        case "c": return .confirmLink(tokenHash: reference)
        case "n" where reference == "link": return .cancelLink
        case "d" where reference == "unlink": return .confirmUnlink
        case "n" where reference == "unlink": return .cancelUnlink
        default: return nil
        }
    }
}
