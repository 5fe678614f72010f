import Foundation

/// One thing a key check found that the user should know: why a key is refused, what will
/// happen to it, what to do. A typed value, so each chat renders it from its templates in the
/// user's language; `description` is the English sentence that `rebind exchange check`
/// prints and the platform receives in the binding update's `warnings`.
///
/// `exchange` is the exchange's English name, for `description`; a chat names the exchange
/// from its own catalogue.
public enum KeyFinding: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The exchange ended the key's spot trading permission on that day.
    case spotTradingEnded(exchange: String, on: Date)
    /// The exchange will end the key's spot trading permission on that day, in `days` days.
    case spotTradingEnds(exchange: String, on: Date, days: Int)
    case cannotTradeFutures(exchange: String)
    case cannotTrade(exchange: String)
    case canWithdraw(exchange: String)
    case cannotRead(exchange: String)
    /// The exchange deletes a key that can trade and has no IP bound after `days` unused.
    case idleDeletionWithoutIP(exchange: String, days: Int)
    /// The exchange refused the key outright, with its error code (and message, for causes
    /// that are not about the key).
    case refused(cause: Cause, exchange: String, code: String, message: String?)
    /// Binance -2015 and its API restrictions could not be read either.
    case binanceKeyUnknownOrIPBlocked
    /// Binance -2015 although the key's permissions allow trading.
    case binanceRefusedDespitePermissions
    /// No verdict: the exchange could not be asked.
    case checkFailed(KeyCheckError)
    /// A sentence from elsewhere (an older stored verdict): shown as it is.
    case text(String)

    public init(stringLiteral value: String) {
        self = .text(value)
    }

    /// Two findings are the same when they say the same thing: a stored verdict keeps only
    /// the sentences, and reads back equal to the one it was written from.
    public static func == (lhs: KeyFinding, rhs: KeyFinding) -> Bool {
        lhs.description == rhs.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }

    public var description: String {
        switch self {
        case .spotTradingEnded(let name, let day):
            "\(name) ended this key's spot trading permission on \(Self.day(day)): create a new key with trading enabled."
        case .spotTradingEnds(let name, let day, let days):
            "\(name) will end this key's spot trading permission on \(Self.day(day)), \(Self.distance(days)); a new key will be needed by then."
        case .cannotTradeFutures(let name):
            "This key cannot trade futures, which the robot does: turn on futures trading for the key on \(name), or create a new key with it."
        case .cannotTrade(let name):
            "This key cannot trade: turn on trading for the key on \(name), or create a new key with it."
        case .canWithdraw(let name):
            "This key can withdraw funds. A robot never needs that, and a leaked key could empty the account: turn withdrawals off for the key on \(name), or create a new key without it."
        case .cannotRead(let name):
            "This key cannot read the account, which a robot needs: turn on reading for the key on \(name)."
        case .idleDeletionWithoutIP(let name, let days):
            "\(name) deletes a key that can trade and has no IP address bound after \(days) days without use: bind the platform's IP addresses to the key to keep it."
        case .refused(let cause, let name, let code, let message):
            Self.refusal(cause, name: name, code: code, message: message)
        case .binanceKeyUnknownOrIPBlocked:
            "Binance refuses this key: it was deleted or not copied whole, or it accepts requests only from whitelisted IP addresses and this server's is not one of them. (Binance -2015)"
        case .binanceRefusedDespitePermissions:
            "Binance refused a request with this key (-2015), yet the key's permissions allow trading: it may have been a temporary ban; try again, or create a new key."
        case .checkFailed(let error):
            error.userMessage
        case .text(let text):
            text
        }
    }

    static func refusal(_ cause: Cause, name: String, code: String, message: String?) -> String {
        let reference = "(\(name) \(code))"
        let quoted = "(\(name) \(code)\(message.map { ": \($0)" } ?? ""))"
        return switch cause {
        case .keyDeleted: "\(name) does not know this API key: it was deleted, or it was not copied whole. \(reference)"
        case .keyExpired: "\(name) says this key has expired: create a new one. \(reference)"
        case .permissionMissing:
            "\(name) refused the key for lack of permission: turn on reading and trading for it, or create a new key with them. \(reference)"
        case .ipNotAllowed:
            "This key accepts requests only from whitelisted IP addresses, and not from this server's: add the platform's IP addresses to the key's whitelist, or create a key without an IP restriction. \(reference)"
        case .passphraseWrong:
            "The passphrase does not match this key: enter it again; if it is lost, create a new key. \(reference)"
        case .secretWrong: "The secret key does not match this API key: paste it again, or create a new pair. \(reference)"
        case .notKeyRelated: "\(name) refused the request for a reason that is not the key itself. \(quoted)"
        case .unknown: "\(name) refused the key with an answer Rebind does not know. \(quoted)"
        }
    }

    /// `2026-12-26`, the day in UTC.
    public static func day(_ date: Date) -> String {
        String(Timestamp.format(date).prefix(10))
    }

    static func distance(_ days: Int) -> String {
        switch days {
        case ..<1: "within a day"
        case 1: "in 1 day"
        default: "in \(days) days"
        }
    }
}
