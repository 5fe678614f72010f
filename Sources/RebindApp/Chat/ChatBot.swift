import Crypto
import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindRendering
import RebindSlack
import RebindTelegram
import ServiceLifecycle

/// Answers what users send the bot: commands, button taps and the pasted key, secret and
/// passphrase of the guided key update. It performs the conversation's actions: replies,
/// deletions, the exchange check, storing the key sealed, and the binding update.
struct ChatBot: Sendable {
    let store: any ChatStore
    let events: any EventStore
    let telegram: TelegramClient?
    /// Slack's workspaces, when Slack is on: the key form opens through them.
    let slack: SlackWorkspaces?
    /// One per chat channel that is on.
    let messengers: [Channel: any ChatMessenger]
    let verifiers: [String: any KeyVerifier]
    let publisher: (any BindingPublisher)?
    let envelope: SecretEnvelope
    let catalogue: ExchangeCatalogue
    let now: @Sendable () -> Date
    let logger: Logger
    /// Shared with the outbox, so replies and notices together keep Telegram's limits.
    let pacer: SharedPacer
    let locks: ChatLocks
    /// Woken when a binding update is queued.
    let bindingWakeup: Wakeup
    let checkLimit = FailedCheckLimit()
    /// This process among the replicas: it leases chats' lanes under this name.
    let replica = UUID().uuidString
    /// How long a chat's lane stays leased to this replica without being renewed.
    var laneLease: TimeInterval = 60

    /// Leases the chat's lane, so no other replica works on its conversation meanwhile.
    func claimLane(_ chat: ChatAddress) async throws -> Bool {
        try await store.claimLane(chat.description, owner: replica, now: now(), leaseUntil: now().addingTimeInterval(laneLease))
    }

    func replies(_ chat: ChatAddress) -> ChatReplies { ChatReplies(catalogue: catalogue, channel: chat.channel) }

    // MARK: Updates

    func handle(_ update: TelegramUpdate) async throws {
        guard let chat = Self.chat(of: update) else {
            try await handleHoldingLock(update)
            return
        }
        try await locks.withLock(chat) { try await handleHoldingLock(update) }
    }

    /// The chat an update belongs to: its updates are handled one at a time, in order.
    static func chat(of update: TelegramUpdate) -> ChatAddress? {
        (update.callbackQuery?.message?.chat ?? update.message?.chat).map { ChatAddress(channel: .telegram, id: String($0.id)) }
    }

    private func handleHoldingLock(_ update: TelegramUpdate) async throws {
        // Whoever writes to the bot can be written to: a chat blocked earlier is open again.
        if let chat = Self.chat(of: update) { try await store.unblock(chat) }
        if let query = update.callbackQuery {
            try await handle(query)
            return
        }
        guard let message = update.message, let text = message.text, message.chat.type == "private" else { return }
        let chat = ChatAddress(channel: .telegram, id: String(message.chat.id))
        if let command = ChatCommand.parse(text) {
            try await handle(command, in: chat)
            return
        }
        guard var conversation = try await loadConversation(chat) else {
            // Not in a key flow: whatever this is, it may be a pasted secret, so it goes.
            try await deleteQuietly(String(message.messageID), in: chat)
            try await say("I only take keys during an update. Send /update to start one, or /help.", to: chat)
            return
        }
        try await run(&conversation, .text(text, messageID: message.messageID))
    }

    func handle(_ query: TelegramCallbackQuery) async throws {
        let data = query.data ?? ""
        var text: String?
        if data.hasPrefix("l:"), let chat = query.message?.chat {
            text = try await snooze(reference: String(data.dropFirst(2)), in: ChatAddress(channel: .telegram, id: String(chat.id)))
        }
        // Answered before any slow work, or the user's client keeps spinning.
        do {
            try await telegram?.answerCallbackQuery(TelegramAnswerCallbackQuery(callbackQueryID: query.id, text: text))
        } catch {
            logger.debug("Callback query not answered", metadata: ["error": "\(error)"])
        }
        guard let chat = query.message?.chat, data.hasPrefix("u:") else { return }
        let address = ChatAddress(channel: .telegram, id: String(chat.id))
        // Pasted messages are read (and deleted) only in private chats: a flow started in a
        // group would have its members paste secrets there, and leave them.
        guard chat.isPrivate else {
            try await say("🔒 I take API keys only in a private chat. Open a chat with me and send /update there.", to: address)
            return
        }
        try await startUpdate(in: address, reference: String(data.dropFirst(2)))
    }

    /// "Remind me later": the incident is sent again as a reminder after `snoozeInterval`.
    static let snoozeInterval: TimeInterval = 3600

    func snooze(reference: String, in chat: ChatAddress) async throws -> String {
        guard let userID = try await store.userID(linkedTo: chat),
            let incident = try await store.openIncidents(ofUser: userID).first(where: { Self.reference(for: $0.id) == reference })
        else {
            return "Nothing to remind you of: this is resolved already."
        }
        try await store.scheduleReminder(incidentID: incident.id, at: now().addingTimeInterval(Self.snoozeInterval), now: now())
        return "OK, I'll remind you in an hour."
    }

    func handle(_ command: ChatCommand, in chat: ChatAddress) async throws {
        switch command {
        case .start(let token?):
            if let userID = try await store.redeemLink(tokenHash: Self.hash(token), chat: chat, now: now()) {
                logger.info("Chat linked", metadata: ["chat.platform": "\(chat.channel.rawValue)", "user.id": "\(userID)"])
                try await say("✅ Linked. I'll message you here when a robot needs a new API key.\n\n" + replies(chat).help, to: chat)
            } else {
                try await say("This link is unknown, used or expired. Ask \(replies(chat).escape(catalogue.platformName)) for a new one.", to: chat)
            }
        case .start(nil), .help:
            try await say(replies(chat).help, to: chat)
        case .update(let account):
            try await startUpdate(in: chat, reference: account)
        case .status:
            try await status(in: chat)
        case .cancel:
            if var conversation = try await loadConversation(chat) {
                try await run(&conversation, .cancel)
            } else {
                try await say("There is no key update to cancel.", to: chat)
            }
        }
    }

    // MARK: Commands

    /// The accounts this chat's user may update: those with open key incidents, and bound ones.
    func accounts(of userID: String) async throws -> [KeyConversation.Target] {
        var targets: [String: KeyConversation.Target] = [:]
        for binding in try await store.bindings(ofUser: userID) {
            targets[binding.accountID] = .init(userID: userID, accountID: binding.accountID, exchange: binding.exchange, label: binding.label)
        }
        for incident in try await store.openIncidents(ofUser: userID) where incident.cause.isKeyRelated {
            var target = targets[incident.accountID]
                ?? .init(userID: userID, accountID: incident.accountID, exchange: incident.exchange)
            for robot in incident.robots where robot.state != .resumed && !target.robotIDs.contains(robot.id) {
                target.robotIDs.append(robot.id)
                // A futures robot waiting on this key: the check requires futures trading.
                if robot.futures == true { target.needsFutures = true }
            }
            targets[incident.accountID] = target
        }
        return targets.values.sorted { $0.accountID < $1.accountID }
    }

    /// The account a key update is for, or what to answer instead (not linked, which
    /// account, none, too many failed checks).
    enum AccountChoice {
        case chosen(KeyConversation.Target)
        case answer(String)
    }

    func chooseAccount(in chat: ChatAddress, reference: String?) async throws -> AccountChoice {
        let words = replies(chat)
        guard let userID = try await store.userID(linkedTo: chat) else {
            return .answer("This chat is not linked to a \(words.escape(catalogue.platformName)) account. Open the link from the platform first.")
        }
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
            if candidates.isEmpty {
                return .answer("I don't know of an account of yours to update yet.")
            }
            let list = candidates.map { "• \(words.command("update")) \(words.escape($0.accountID))\($0.label.map { " (\(words.escape($0)))" } ?? "")" }
            return .answer("Which account?\n" + list.joined(separator: "\n"))
        }
        // Past the failed-check limit, nothing is asked for: the user would paste secrets for nothing.
        if let next = try await nextCheckAllowed(accountID: target.accountID) {
            return .answer(words.text(for: .tooManyAttempts(retryAfter: next)))
        }
        return .chosen(target)
    }

    func startUpdate(in chat: ChatAddress, reference: String?) async throws {
        switch try await chooseAccount(in: chat, reference: reference) {
        case .answer(let text):
            try await say(text, to: chat)
        case .chosen(let target):
            var (conversation, actions) = KeyConversation.start(chat: chat, target: target, now: now())
            try await perform(actions, in: &conversation)
        }
    }

    func status(in chat: ChatAddress) async throws {
        guard let userID = try await store.userID(linkedTo: chat) else {
            try await say("This chat is not linked to an account yet.", to: chat)
            return
        }
        let bindings = try await store.bindings(ofUser: userID)
        guard !bindings.isEmpty else {
            try await say("No bound accounts yet.", to: chat)
            return
        }
        let words = replies(chat)
        let lines = bindings.map { binding -> String in
            let exchange = catalogue.exchanges[binding.exchange]
            let name = binding.label.map { "\(words.escape($0)) (\(exchange?.name ?? binding.exchange))" } ?? (exchange?.name ?? binding.exchange)
            let hint = binding.apiKeyHint.map { ", key …\(words.escape($0))" } ?? ""
            let expiry = binding.tradingExpiresAt
                ?? binding.boundAt.flatMap { bound in exchange.map { bound.addingTimeInterval(Double($0.tradingValidityDays) * 86400) } }
            let left = expiry.map { Self.daysLeft(until: $0, now: now()) } ?? ""
            return "• \(name)\(hint)\(left)"
        }
        try await say("Your accounts:\n" + lines.joined(separator: "\n"), to: chat)
    }

    // MARK: The conversation

    func run(_ conversation: inout KeyConversation, _ input: KeyConversation.Input) async throws {
        let actions = conversation.handle(input, now: now())
        // Nothing happened (a tick before the limit): nothing to save either.
        guard !actions.isEmpty else { return }
        try await perform(actions, in: &conversation)
    }

    func perform(_ actions: [KeyConversation.Action], in conversation: inout KeyConversation) async throws {
        var pending = actions[...]
        while let action = pending.popFirst() {
            var followUp: KeyConversation.Input?
            switch action {
            case .reply(let reply):
                // A form takes everything at once: nothing is asked for one piece at a time.
                if conversation.chat.channel == .slack, reply.asksForText { continue }
                try await say(replies(conversation.chat).text(for: reply), to: conversation.chat)
            case .deleteMessage(let id):
                try await deleteQuietly(String(id), in: conversation.chat)
            case .recordFailedCheck:
                try await store.recordFailedCheck(accountID: conversation.target.accountID, now: now())
            case .checkKey(let credentials, let context):
                // Saved first: a restart during the check finds the flow where it was.
                try await save(conversation)
                followUp = try await check(credentials, context: context, target: conversation.target)
            case .applyBinding(let credentials, let verdict):
                followUp = try await apply(credentials, verdict: verdict, conversation: conversation)
            }
            if let followUp {
                pending.append(contentsOf: conversation.handle(followUp, now: now()))
            }
        }
        try await save(conversation)
    }

    /// When the account may be checked again; nil when it may now.
    func nextCheckAllowed(accountID: String) async throws -> Date? {
        let failures = try await store.failedChecks(accountID: accountID, since: now().addingTimeInterval(-checkLimit.window))
        return checkLimit.nextAllowed(failures: failures, now: now())
    }

    /// Asks the exchange. A shutdown cancels the check rather than waiting for a slow exchange;
    /// the conversation, saved as checking, is resumed at the next start.
    func check(_ credentials: ExchangeCredentials, context: KeyCheckContext, target: KeyConversation.Target) async throws -> KeyConversation.Input {
        if let next = try await nextCheckAllowed(accountID: target.accountID) {
            return .checkLimited(retryAfter: next)
        }
        guard let verifier = verifiers[target.exchange] else {
            return .checkFailed(.unreachable(exchange: target.exchange, reason: "no verifier for this exchange"))
        }
        let outcome: Result<KeyVerdict, KeyCheckError> = await cancelWhenGracefulShutdown {
            do throws(KeyCheckError) {
                return .success(try await verifier.verify(credentials, context: context))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let verdict):
            logger.info(
                "Key checked",
                metadata: ["account.id": "\(target.accountID)", "key.cause": "\(verdict.cause?.rawValue ?? "usable")"])
            return .checked(verdict)
        case .failure(.cancelled):
            throw CancellationError()
        case .failure(let error):
            logger.notice("Key not checked", metadata: ["account.id": "\(target.accountID)", "error": "\(error)"])
            return .checkFailed(error)
        }
    }

    /// Standalone, the key is stored here and that is the end of it. Otherwise the binding
    /// update goes into its outbox, in the same transaction as the conversation that waits on
    /// it; the `BindingDispatcher` delivers it and answers through `settleBinding`.
    func apply(_ credentials: ExchangeCredentials, verdict: KeyVerdict, conversation: KeyConversation) async throws -> KeyConversation.Input? {
        let target = conversation.target
        guard publisher != nil else {
            try await storeBinding(credentials, verdict: verdict, target: target)
            return .applied(standalone: true)
        }
        let update = BindingUpdate(
            occurredAt: now(), userID: target.userID, accountID: target.accountID, exchange: target.exchange,
            credentials: credentials, verification: verdict, checkedAt: now(), robotIDs: target.robotIDs)
        let id = "bind_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await store.queueBindingUpdate(
            QueuedBindingUpdate(id: id, chat: conversation.chat, accountID: target.accountID, sealed: try BindingOrder(update).seal(id: id, envelope: envelope)),
            conversation: try seal(conversation), activeAt: conversation.lastActivityAt, now: now())
        bindingWakeup.poke()
        return nil
    }

    /// The platform answered a binding update (or never did, within the retry limit): the
    /// conversation waiting on it finishes. If it ended meanwhile (`/cancel`), the user is
    /// still told how it went.
    func settleBinding(_ queued: QueuedBindingUpdate, outcome: KeyConversation.Input) async throws {
        // Another replica may be handling this chat's messages: wait for its lane a little,
        // then go ahead rather than leave the user without an answer.
        var tries = 0
        while tries < 40, try await !claimLane(queued.chat) {
            tries += 1
            try await Task.sleep(for: .milliseconds(250))
        }
        try await locks.withLock(queued.chat) {
            if var conversation = try await loadConversation(queued.chat), case .applying = conversation.step,
                conversation.target.accountID == queued.accountID
            {
                try await run(&conversation, outcome)
            } else {
                let reply: KeyConversation.Reply = outcome == .applyRefused ? .finishOnWeb : .applied(standalone: false)
                try await say(replies(queued.chat).text(for: reply), to: queued.chat)
            }
        }
    }

    /// The key, sealed and bound to its account, with what the check found (for /status).
    func storeBinding(_ credentials: ExchangeCredentials, verdict: KeyVerdict, target: KeyConversation.Target) async throws {
        let sealed = try envelope.seal(Secret(try Self.credentialsJSON(credentials)), boundTo: "binding:\(target.accountID)")
        try await store.saveCredentials(
            accountID: target.accountID, userID: target.userID, exchange: target.exchange, keyHint: credentials.keyHint,
            sealed: SealedData(keyID: sealed.keyID, data: sealed.combined), verdict: verdict, now: now())
    }

    // MARK: Persistence

    func loadConversation(_ chat: ChatAddress) async throws -> KeyConversation? {
        guard let sealed = try await store.conversation(chat: chat) else { return nil }
        do {
            let text = try envelope.open(SecretEnvelope.Sealed(keyID: sealed.keyID, combined: sealed.data), boundTo: "conversation:\(chat)")
            return try KeyConversation(snapshot: Data(text.value.utf8))
        } catch SecretEnvelope.Error.unknownKey(let id) {
            // Sealed under a key this replica does not have yet (a rotation rolling out):
            // left for one that has it, not thrown away.
            logger.warning("A stored conversation is sealed under a key this process lacks", metadata: ["chat": "\(chat)", "key.id": "\(id)"])
            return nil
        } catch {
            logger.warning("A stored conversation could not be opened; discarding it", metadata: ["chat": "\(chat)", "error": "\(error)"])
            try await store.deleteConversation(chat: chat)
            return nil
        }
    }

    func save(_ conversation: KeyConversation) async throws {
        if conversation.isFinished {
            try await store.deleteConversation(chat: conversation.chat)
            return
        }
        try await store.saveConversation(try seal(conversation), chat: conversation.chat, activeAt: conversation.lastActivityAt)
    }

    func seal(_ conversation: KeyConversation) throws -> SealedData {
        let snapshot = String(decoding: try conversation.snapshot(), as: UTF8.self)
        let sealed = try envelope.seal(Secret(snapshot), boundTo: "conversation:\(conversation.chat)")
        return SealedData(keyID: sealed.keyID, data: sealed.combined)
    }

    /// Picks up the checks that a shutdown cut short. A conversation waiting on a binding
    /// update still in its outbox is left to the dispatcher; one whose update is gone (from
    /// before the outbox) is checked again.
    func resumeInterruptedConversations() async throws {
        for chat in try await store.conversationChats(idleSince: .distantFuture) where try await claimLane(chat) {
            try await locks.withLock(chat) {
                guard var conversation = try await loadConversation(chat) else { return }
                switch conversation.step {
                case .applying where try await store.hasPendingBindingUpdate(chat: chat):
                    return
                case .checking, .applying:
                    logger.info("Resuming an interrupted key check", metadata: ["chat": "\(chat)", "account.id": "\(conversation.target.accountID)"])
                    try await run(&conversation, .resume)
                case .awaitingKey, .awaitingSecret, .awaitingPassphrase, .finished:
                    return
                }
            }
        }
    }

    /// Ends conversations idle past the limit, telling their users.
    func expireIdleConversations() async throws {
        for chat in try await store.conversationChats(idleSince: now().addingTimeInterval(-KeyConversation.idleLimit))
        where try await claimLane(chat) {
            try await locks.withLock(chat) {
                guard var conversation = try await loadConversation(chat) else { return }
                switch conversation.step {
                case .checking:
                    // A check takes seconds: one idle this long was cut short by a replica that
                    // died, and no restart will pick it up. Run it again.
                    logger.info("Resuming a key check left by another replica", metadata: ["chat": "\(chat)"])
                    try await run(&conversation, .resume)
                case .applying where try await !store.hasPendingBindingUpdate(chat: chat):
                    try await run(&conversation, .resume)
                case .awaitingKey, .awaitingSecret, .awaitingPassphrase, .applying, .finished:
                    try await run(&conversation, .tick)
                }
            }
        }
    }

    // MARK: Sending

    /// Replies go out at once (the user is waiting), through the channel's pacer: they keep
    /// the global rate and respect a 429 hold on the chat, which they wait out (up to
    /// `longestReplyWait`) like a hiccup, a few times.
    func say(_ text: String, to chat: ChatAddress) async throws {
        guard let messenger = messengers[chat.channel] else {
            logger.error("Reply not delivered: its chat channel is off", metadata: ["chat": "\(chat)"])
            return
        }
        let message = OutgoingMessage(text: text, format: replies(chat).format)
        for attempt in 1...4 {
            while case .chatBusyUntil(let until) = pacer.reserveReply(chat, now: .now) {
                guard until - .now <= Self.longestReplyWait else {
                    logger.notice("Reply not delivered: the chat is held by Telegram", metadata: ["chat": "\(chat)"])
                    return
                }
                try await Task.sleep(until: until, clock: .continuous)
            }
            do {
                _ = try await messenger.send(message, to: chat)
                pacer.sent(chat, at: .now)
                return
            } catch {
                switch error {
                case .rateLimited(let seconds):
                    pacer.hold(chat, until: .now + .seconds(min(max(seconds, 0.05), 60)))
                case .transient:
                    try await Task.sleep(for: .seconds(0.25 * Double(attempt)))
                case .blocked, .permanent:
                    logger.notice("Reply not delivered", metadata: ["chat": "\(chat)", "error": "\(error)"])
                    return
                }
                if attempt == 4 {
                    logger.error("Reply not delivered after retries", metadata: ["chat": "\(chat)", "error": "\(error)"])
                }
            }
        }
    }

    static let longestReplyWait: Duration = .seconds(30)

    func deleteQuietly(_ messageID: String, in chat: ChatAddress) async throws {
        do {
            guard let messenger = messengers[chat.channel] else { return }
            try await messenger.delete(messageID: messageID, in: chat)
        } catch {
            try await say("⚠️ I couldn't delete your message with the key. Please delete it yourself now.", to: chat)
        }
    }

    // MARK: Helpers

    /// ": 30 days left" for a key that expires within 29–30 days: a key bound just now shows
    /// the catalogue's full validity, not one day less.
    static func daysLeft(until expiry: Date, now: Date) -> String {
        let remaining = expiry.timeIntervalSince(now)
        guard remaining > 0 else { return ": expired" }
        let days = Int((remaining / 86400).rounded(.up))
        return days == 1 ? ": 1 day left" : ": \(days) days left"
    }

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A short, fixed-length stand-in for an account id in button data (64 bytes at most).
    static func reference(for accountID: String) -> String {
        String(hash("account:\(accountID)").prefix(16))
    }

    static func credentialsJSON(_ credentials: ExchangeCredentials) throws -> String {
        var object = ["api_key": credentials.apiKey, "api_secret": credentials.apiSecret.value]
        if let passphrase = credentials.passphrase { object["passphrase"] = passphrase.value }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
