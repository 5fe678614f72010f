import Crypto
import Foundation
import RebindCore

/// Which accounts a chat's user may update, and which one a request means: those with an
/// open key incident and those already bound, each with the exchange account its key must
/// belong to when that is known. Past the failed-check limit an account is not
/// offered, so nobody pastes secrets for nothing.
struct AccountDirectory: Sendable {
    let store: any LinkStore & CredentialStore & NoticeOutbox
    let now: @Sendable () -> Date
    let checkLimit = FailedCheckLimit()

    /// The account a key update is for, or what to answer instead.
    enum Choice: Equatable {
        case chosen(KeyConversation.Target)
        case answer(ChatReply)
    }

    /// The accounts the user may update: those with open key incidents, and bound ones.
    func accounts(of userID: String) async throws -> [KeyConversation.Target] {
        var targets: [String: KeyConversation.Target] = [:]
        for binding in try await store.bindings(ofUser: userID) {
            targets[binding.accountID] = .init(userID: userID, accountID: binding.accountID, exchange: binding.exchange, label: binding.label)
        }
        for incident in try await store.openIncidents(ofUser: userID) where incident.cause.isKeyRelated {
            var target =
                targets[incident.accountID]
                ?? .init(userID: userID, accountID: incident.accountID, exchange: incident.exchange)
            // Every robot waiting on this key, for the binding update: the incident's rows are
            // read here, when a user starts a key update, never on the way in.
            for robot in try await store.robots(ofIncident: incident.id, limit: nil)
            where robot.state != .resumed && !target.robotIDs.contains(robot.id) {
                target.robotIDs.append(robot.id)
            }
            // A futures robot waiting on this key: the check requires futures trading.
            if incident.totals.needsFutures { target.needsFutures = true }
            targets[incident.accountID] = target
        }
        // The exchange account a new key must belong to, when the platform or an earlier key said.
        for accountID in targets.keys {
            targets[accountID]?.exchangeUID = try await store.exchangeUID(accountID: accountID)
        }
        return targets.values.sorted { $0.accountID < $1.accountID }
    }

    /// `reference` is an account id, a button's reference or a label; nil picks the only one.
    func choose(in chat: ChatAddress, reference: String?) async throws -> Choice {
        let owner = try await store.owner(of: chat)
        guard let userID = owner.userID else { return .answer(.unowned(owner)) }
        let candidates = try await accounts(of: userID)
        let chosen: KeyConversation.Target?
        if let reference, !reference.isEmpty {
            chosen = candidates.first {
                $0.accountID == reference || Self.reference(for: $0.accountID) == reference
                    || $0.label?.caseInsensitiveCompare(reference) == .orderedSame
            }
        } else {
            chosen = candidates.count == 1 ? candidates.first : nil
        }
        guard let target = chosen else {
            if candidates.isEmpty { return .answer(.noAccountToUpdate) }
            return .answer(.whichAccount(candidates.map { .init(accountID: $0.accountID, label: $0.label) }))
        }
        if let next = try await nextCheckAllowed(accountID: target.accountID) {
            return .answer(.conversation(.tooManyAttempts(retryAfter: next)))
        }
        return .chosen(target)
    }

    /// When the account may be checked again; nil when it may now.
    func nextCheckAllowed(accountID: String) async throws -> Date? {
        let failures = try await store.failedChecks(accountID: accountID, since: now().addingTimeInterval(-checkLimit.window))
        return checkLimit.nextAllowed(failures: failures, now: now())
    }

    /// A short, fixed-length stand-in for an account or incident id in button data.
    static func reference(for id: String) -> String {
        String(SHA256.hash(data: Data("account:\(id)".utf8)).map { String(format: "%02x", $0) }.joined().prefix(16))
    }
}
