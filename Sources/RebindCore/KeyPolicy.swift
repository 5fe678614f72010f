import Foundation

/// Rebind's rules for a trading robot's key, the same for every exchange:
///
/// - it must trade what the robot trades (spot, or futures for a futures robot); a key
///   whose trading permission lapsed is `key_expired`, one without it `permission_missing`;
/// - it must not be able to withdraw: a robot never needs that, and a leaked key could then
///   empty the account. Such a key is refused as `permission_missing` (its permissions must
///   change), with a warning saying which;
/// - a key the exchange will withdraw trading from, or delete when idle (OKX, no IP bound),
///   is accepted with a warning saying when and why.
public struct KeyPolicy: Sendable {
    public init() {}

    /// Judges what the exchange said the key may do.
    public func verdict(for permissions: KeyPermissions, context: KeyCheckContext, now: Date) -> KeyVerdict {
        let name = permissions.exchangeName
        let lapsed = permissions.tradingExpiresAt.map { $0 <= now } ?? false
        // The lapse is of spot trading only; a futures robot does not depend on it.
        let canTrade = context.needsFutures ? permissions.canTradeFutures : permissions.canTradeSpot && !lapsed

        var problems: [(cause: Cause, warning: String)] = []
        if !context.needsFutures, lapsed, let ended = permissions.tradingExpiresAt {
            problems.append((.keyExpired, "\(name) ended this key's spot trading permission on \(Self.day(ended)): create a new key with trading enabled."))
        } else if !canTrade {
            problems.append(
                context.needsFutures
                    ? (.permissionMissing, "This key cannot trade futures, which the robot does: turn on futures trading for the key on \(name), or create a new key with it.")
                    : (.permissionMissing, "This key cannot trade: turn on trading for the key on \(name), or create a new key with it."))
        }
        if permissions.canWithdraw {
            problems.append((.permissionMissing, "This key can withdraw funds. A robot never needs that, and a leaked key could empty the account: turn withdrawals off for the key on \(name), or create a new key without it."))
        }
        if !permissions.canRead {
            problems.append((.permissionMissing, "This key cannot read the account, which a robot needs: turn on reading for the key on \(name)."))
        }

        var notes: [String] = []
        if let expires = permissions.tradingExpiresAt, expires > now, !context.needsFutures {
            notes.append("\(name) will end this key's spot trading permission on \(Self.day(expires)), \(Self.distance(from: now, to: expires)); a new key will be needed by then.")
        }
        if canTrade, !permissions.ipRestricted, let days = permissions.idleDeletionDaysWithoutIP {
            notes.append("\(name) deletes a key that can trade and has no IP address bound after \(days) days without use: bind the platform's IP addresses to the key to keep it.")
        }

        return KeyVerdict(
            cause: problems.first?.cause,
            canTrade: canTrade,
            canWithdraw: permissions.canWithdraw,
            ipRestricted: permissions.ipRestricted,
            tradingExpiresAt: permissions.tradingExpiresAt,
            warnings: problems.map(\.warning) + notes)
    }

    /// The verdict on a key the exchange refused to describe, from the cause its error code
    /// names. `code` and `message` are the exchange's own, shown so an operator can look
    /// them up; neither ever holds a secret.
    public func refusal(_ cause: Cause, exchangeName name: String, code: String, message: String?) -> KeyVerdict {
        let reference = "(\(name) \(code))"
        let quoted = "(\(name) \(code)\(message.map { ": \($0)" } ?? ""))"
        let warning =
            switch cause {
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
        return .refused(cause, warning: warning)
    }

    /// Binance's `-2015` ("Invalid API-key, IP, or permissions for action") names no single
    /// fault. The key's API restrictions decide: when that call fails too (`restrictions`
    /// nil) the key is gone, or the server's IP is not on its whitelist; when it answers, its
    /// flags say which permission is off. Flags that explain nothing leave it `unknown`
    /// (a temporary ban, say).
    public func resolveBinanceInvalidKey(restrictions: KeyPermissions?, context: KeyCheckContext, now: Date) -> KeyVerdict {
        guard let restrictions else {
            return .refused(
                .keyDeleted,
                warning: "Binance refuses this key: it was deleted or not copied whole, or it accepts requests only from whitelisted IP addresses and this server's is not one of them. (Binance -2015)")
        }
        var verdict = verdict(for: restrictions, context: context, now: now)
        if verdict.usable {
            verdict.cause = .unknown
            verdict.warnings.insert(
                "Binance refused a request with this key (-2015), yet the key's permissions allow trading: it may have been a temporary ban; try again, or create a new key.",
                at: 0)
        }
        return verdict
    }

    /// `2026-12-26`, the day in UTC.
    static func day(_ date: Date) -> String {
        String(Timestamp.format(date).prefix(10))
    }

    static func distance(from now: Date, to date: Date) -> String {
        let days = Int((date.timeIntervalSince(now) / 86_400).rounded(.down))
        return switch days {
        case ..<1: "within a day"
        case 1: "in 1 day"
        default: "in \(days) days"
        }
    }
}
