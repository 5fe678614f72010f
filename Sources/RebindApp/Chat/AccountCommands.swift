import Crypto
import Foundation
import Logging
import RebindCore

/// The commands that are not the key flow: `/help`, `/start <token>` (link), `/keys`,
/// `/language`, and "Remind me later".
struct AccountCommands: Sendable {
    let store: any LinkStore & LanguageStore & CredentialStore & NoticeOutbox
    let sender: ReplySender
    let catalogue: ExchangeCatalogue
    let now: @Sendable () -> Date
    let logger: Logger

    /// "Remind me later": the incident is sent again as a reminder after this long.
    static let snoozeInterval: TimeInterval = 3600

    func help(in chat: ChatAddress) async throws {
        try await sender.say(.help, to: chat)
    }

    func link(token: String, in chat: ChatAddress) async throws {
        guard let userID = try await store.redeemLink(tokenHash: Self.hash(token), chat: chat, now: now()) else {
            try await sender.say(.linkUnknown, to: chat)
            return
        }
        logger.info("Chat linked", metadata: ["chat.platform": "\(chat.channel.rawValue)", "user.id": "\(userID)"])
        try await sender.say(.linked, to: chat)
    }

    /// `/keys`: each bound account with its key's hint and how long it has left.
    func keys(in chat: ChatAddress) async throws {
        guard let userID = try await store.userID(linkedTo: chat) else {
            try await sender.say(.notLinked, to: chat)
            return
        }
        let bindings = try await store.bindings(ofUser: userID)
        guard !bindings.isEmpty else {
            try await sender.say(.noBoundAccounts, to: chat)
            return
        }
        let lines = bindings.map { binding -> ChatReply.AccountLine in
            let validity = catalogue.exchanges[binding.exchange].map { TimeInterval($0.tradingValidityDays) * 86_400 }
            let fromCatalogue = binding.boundAt.flatMap { bound in validity.map { bound.addingTimeInterval($0) } }
            let expiry = binding.tradingExpiresAt ?? fromCatalogue
            return ChatReply.AccountLine(
                exchange: binding.exchange,
                label: binding.label,
                keyHint: binding.apiKeyHint,
                expiresAt: expiry,
                daysLeft: expiry.map { ChatReply.daysLeft(until: $0, now: now()) },
                expirySource: binding.tradingExpiresAt != nil ? .exchange : (fromCatalogue != nil ? .catalogue : nil)
            )
        }
        try await sender.say(.accounts(lines), to: chat)
    }

    /// `/language [tag]`: without a tag, says the language now and the choices; with one Rebind
    /// speaks, makes it the chat's (and so its user's) choice.
    func language(_ tag: String?, in chat: ChatAddress) async throws {
        let available = sender.replies.locales
        guard let tag, !tag.isEmpty else {
            try await sender.say(.language(current: await sender.locale(for: chat), available: available), to: chat)
            return
        }
        guard let locale = sender.matcher.supported(tag) else {
            try await sender.say(.languageUnknown(tag, available: available), to: chat)
            return
        }
        try await store.setChosenLanguage(locale, chat: chat, now: now())
        try await sender.say(.languageSet(locale), to: chat)
    }

    /// "Remind me later" on an incident (by its reference): what to tell the user.
    func snooze(reference: String, in chat: ChatAddress) async throws -> ChatReply {
        guard let userID = try await store.userID(linkedTo: chat),
            let incident = try await store.openIncidents(ofUser: userID).first(where: { AccountDirectory.reference(for: $0.id) == reference })
        else {
            return .nothingToSnooze
        }
        try await store.scheduleReminder(incidentID: incident.id, at: now().addingTimeInterval(Self.snoozeInterval), now: now())
        return .snoozed(hours: Int(Self.snoozeInterval / 3600))
    }

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
