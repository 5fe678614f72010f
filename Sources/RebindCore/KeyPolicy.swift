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

        var problems: [(cause: Cause, finding: KeyFinding)] = []
        if !context.needsFutures, lapsed, let ended = permissions.tradingExpiresAt {
            problems.append((.keyExpired, .spotTradingEnded(exchange: name, on: ended)))
        } else if !canTrade {
            problems.append((.permissionMissing, context.needsFutures ? .cannotTradeFutures(exchange: name) : .cannotTrade(exchange: name)))
        }
        if permissions.canWithdraw {
            problems.append((.permissionMissing, .canWithdraw(exchange: name)))
        }
        if !permissions.canRead {
            problems.append((.permissionMissing, .cannotRead(exchange: name)))
        }

        var notes: [KeyFinding] = []
        if let expires = permissions.tradingExpiresAt, expires > now, !context.needsFutures {
            let days = Int((expires.timeIntervalSince(now) / 86_400).rounded(.down))
            notes.append(.spotTradingEnds(exchange: name, on: expires, days: days))
        }
        if canTrade, !permissions.ipRestricted, let days = permissions.idleDeletionDaysWithoutIP {
            notes.append(.idleDeletionWithoutIP(exchange: name, days: days))
        }

        return KeyVerdict(
            cause: problems.first?.cause,
            canTrade: canTrade,
            canWithdraw: permissions.canWithdraw,
            ipRestricted: permissions.ipRestricted,
            tradingExpiresAt: permissions.tradingExpiresAt,
            findings: problems.map(\.finding) + notes
        )
    }

    /// The verdict on a key the exchange refused to describe, from the cause its error code
    /// names. `code` and `message` are the exchange's own, shown so an operator can look
    /// them up; neither ever holds a secret.
    public func refusal(_ cause: Cause, exchangeName name: String, code: String, message: String?) -> KeyVerdict {
        .refused(cause, .refused(cause: cause, exchange: name, code: code, message: message))
    }

    /// Binance's `-2015` ("Invalid API-key, IP, or permissions for action") names no single
    /// fault. The key's API restrictions decide: when that call fails too (`restrictions`
    /// nil) the key is gone, or the server's IP is not on its whitelist; when it answers, its
    /// flags say which permission is off. Flags that explain nothing leave it `unknown`
    /// (a temporary ban, say).
    public func resolveBinanceInvalidKey(restrictions: KeyPermissions?, context: KeyCheckContext, now: Date) -> KeyVerdict {
        guard let restrictions else {
            return .refused(.keyDeleted, .binanceKeyUnknownOrIPBlocked)
        }
        var verdict = verdict(for: restrictions, context: context, now: now)
        if verdict.usable {
            verdict.cause = .unknown
            verdict.findings.insert(.binanceRefusedDespitePermissions, at: 0)
        }
        return verdict
    }
}
