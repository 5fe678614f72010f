import Crypto
import Foundation
import Logging
import RebindCore

/// The commands that are not the key flow: `/help`, `/start <token>` (link, confirmed),
/// `/unlink`, `/keys`, `/language`, and "Remind me later".
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

    /// `/start <token>` (`/rebind link <token>`): asks whether to link the chat to the link's
    /// user, naming them as the platform does and saying whom the chat belongs to now. Nothing
    /// changes until Confirm: a stranger's link opened by mistake does nothing.
    func askToLink(token: String, in chat: ChatAddress) async throws {
        let tokenHash = Self.hash(token)
        guard let link = try await store.pendingLink(tokenHash: tokenHash, now: now()) else {
            try await sender.say(.linkUnknown, to: chat)
            return
        }
        let owner = try await store.owner(of: chat)
        let question = ChatReply.LinkQuestion(
            tokenHash: Self.buttonReference(token: token),
            displayName: link.displayName,
            // Linking again to the same user replaces nobody.
            current: owner.userID == link.userID ? .nobody : owner
        )
        try await sender.say(.confirmLink(question), to: chat)
    }

    /// Confirm on the link question: the token is spent and the chat linked (moved from whoever
    /// had it, whose other chats are told).
    func confirmLink(reference: String, in chat: ChatAddress) async throws {
        guard let tokenHash = Self.tokenHash(buttonReference: reference),
            let linked = try await store.redeemLink(tokenHash: tokenHash, chat: chat, now: now())
        else {
            try await sender.say(.linkUnknown, to: chat)
            return
        }
        logger.info("Chat linked", metadata: ["chat.platform": "\(chat.channel.rawValue)", "user.id": "\(linked.userID)"])
        try await sender.say(.linked(displayName: linked.displayName), to: chat)
        guard let previous = linked.previousUserID else { return }
        logger.notice(
            "A chat moved to another user",
            metadata: ["chat.platform": "\(chat.channel.rawValue)", "user.id": "\(linked.userID)", "previous.user.id": "\(previous)"]
        )
        for other in try await store.chats(ofUser: previous) where other != chat {
            try await sender.say(.chatLeft(channel: chat.channel), to: other)
        }
    }

    /// `/unlink`: asks first.
    func askToUnlink(in chat: ChatAddress) async throws {
        switch try await store.owner(of: chat) {
        case .linked(_, let displayName):
            try await sender.say(.confirmUnlink(displayName: displayName), to: chat)
        case .named:
            try await sender.say(.confirmUnlink(displayName: nil), to: chat)
        case .ambiguous:
            try await sender.say(.chatAmbiguous, to: chat)
        case .nobody:
            try await sender.say(.notLinked, to: chat)
        }
    }

    /// Unlink on `/unlink`'s question.
    func unlink(in chat: ChatAddress) async throws {
        guard let previous = try await store.unlink(chat, now: now()) else {
            try await sender.say(.notLinked, to: chat)
            return
        }
        logger.info("Chat unlinked", metadata: ["chat.platform": "\(chat.channel.rawValue)", "user.id": "\(previous)"])
        try await sender.say(.unlinked, to: chat)
    }

    /// `/keys`: each bound account with its key's hint and how long it has left.
    func keys(in chat: ChatAddress) async throws {
        let owner = try await store.owner(of: chat)
        guard let userID = owner.userID else {
            try await sender.say(.unowned(owner), to: chat)
            return
        }
        let bindings = try await store.bindings(ofUser: userID)
        guard !bindings.isEmpty else {
            try await sender.say(.noBoundAccounts, to: chat)
            return
        }
        let policy = ExpiryPolicy(catalogue: catalogue)
        let lines = bindings.map { binding -> ChatReply.AccountLine in
            // Computed when the binding changed; a binding stored before that is computed here.
            let expiry =
                binding.expiry
                ?? policy.expiry(exchange: binding.exchange, facts: .init(exchangeExpiresAt: binding.tradingExpiresAt, boundAt: binding.boundAt))
            let expiresAt = expiry?.expiresAt
            return ChatReply.AccountLine(
                exchange: binding.exchange,
                label: binding.label,
                keyHint: binding.apiKeyHint,
                expiresAt: expiresAt,
                daysLeft: expiresAt.map { KeyExpiry.daysLeft(until: $0, now: now()) },
                expirySource: expiry?.source
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

    /// A link token's hash as stored: SHA-256, lower-case hex.
    static func hash(_ text: String) -> String {
        hex(Data(SHA256.hash(data: Data(text.utf8))))
    }

    /// The token's hash as the Confirm button carries it: base64url, 43 characters, so the
    /// button's data stays within Telegram's 64 bytes. The token itself never goes in a button.
    static func buttonReference(token: String) -> String {
        Base64URL.encode(Data(SHA256.hash(data: Data(token.utf8))))
    }

    /// The stored hash a Confirm button names; nil for data that is not one.
    static func tokenHash(buttonReference reference: String) -> String? {
        guard let digest = Base64URL.decode(reference), digest.count == SHA256.byteCount else { return nil }
        return hex(digest)
    }

    static func hex(_ data: Data) -> String {
        data.map { String(format: "%02x", $0) }.joined()
    }
}
