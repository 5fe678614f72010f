import Foundation
import RebindCore
import RebindCrypto

/// What a queued binding update carries, as the bytes sealed into the outbox: the update for
/// the platform, with the verdict the key was checked to, so the delivery can also keep the
/// key for `/status`. Never stored unsealed.
struct BindingOrder: Codable, Equatable, SealablePayload {
    var occurredAt: Date
    var userID: String
    var accountID: String
    var exchange: String
    var apiKey: String
    var apiSecret: String
    var passphrase: String?
    var canTrade: Bool
    var canWithdraw: Bool
    var ipRestricted: Bool
    var tradingExpiresAt: Date?
    var warnings: [String]
    /// The exchange's id of the key's account, kept with the key once the platform has it.
    /// Absent in orders sealed before it was read.
    var exchangeUID: String?
    var checkedAt: Date
    var robotIDs: [String]

    init(_ update: BindingUpdate) {
        occurredAt = update.occurredAt
        userID = update.userID
        accountID = update.accountID
        exchange = update.exchange
        apiKey = update.credentials.apiKey
        apiSecret = update.credentials.apiSecret.value
        passphrase = update.credentials.passphrase?.value
        canTrade = update.verification.canTrade
        canWithdraw = update.verification.canWithdraw
        ipRestricted = update.verification.ipRestricted
        tradingExpiresAt = update.verification.tradingExpiresAt
        warnings = update.verification.warnings
        exchangeUID = update.verification.exchangeUID
        checkedAt = update.checkedAt
        robotIDs = update.robotIDs
    }

    var update: BindingUpdate {
        BindingUpdate(
            occurredAt: occurredAt,
            userID: userID,
            accountID: accountID,
            exchange: exchange,
            credentials: ExchangeCredentials(apiKey: apiKey, apiSecret: Secret(apiSecret), passphrase: passphrase.map(Secret.init)),
            verification: KeyVerdict(
                cause: nil,
                canTrade: canTrade,
                canWithdraw: canWithdraw,
                ipRestricted: ipRestricted,
                tradingExpiresAt: tradingExpiresAt,
                findings: warnings.map(KeyFinding.text),
                exchangeUID: exchangeUID
            ),
            checkedAt: checkedAt,
            robotIDs: robotIDs
        )
    }

    func seal(id: String, envelope: SecretEnvelope) throws -> SealedData {
        try envelope.seal(self, as: .bindingUpdate(id: id))
    }

    static func open(_ queued: QueuedBindingUpdate, envelope: SecretEnvelope) throws -> BindingOrder {
        try envelope.open(queued.sealed, as: .bindingUpdate(id: queued.id))
    }
}

extension BindingOrder {
    /// A binding update for the outbox: the checked key for the target's account, sealed
    /// under a new id (its `webhook-id` whatever happens to it).
    static func queued(
        _ credentials: ExchangeCredentials,
        verdict: KeyVerdict,
        target: KeyConversation.Target,
        chat: ChatAddress,
        envelope: SecretEnvelope,
        now: Date
    ) throws -> QueuedBindingUpdate {
        let update = BindingUpdate(
            occurredAt: now,
            userID: target.userID,
            accountID: target.accountID,
            exchange: target.exchange,
            credentials: credentials,
            verification: verdict,
            checkedAt: now,
            robotIDs: target.robotIDs
        )
        let id = "bind_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return QueuedBindingUpdate(id: id, chat: chat, accountID: target.accountID, sealed: try BindingOrder(update).seal(id: id, envelope: envelope))
    }
}
