import Foundation
import Logging
import RebindCore
import RebindCrypto
import ServiceLifecycle

/// Runs key conversations: loads a chat's sealed conversation, feeds it an input, performs
/// the actions it returns (replies, deletions, the exchange check, the binding update) and
/// saves it again. Telegram and Slack share it; Slack's form feeds all fields at once.
///
/// Called only from the chat's lane, so one input of a chat runs at a time.
struct KeyFlowRunner: Sendable {
    let store: any ConversationStore & BindingOutbox & CredentialStore
    let accounts: AccountDirectory
    let sender: ReplySender
    let vault: CredentialVault
    let envelope: SecretEnvelope
    let verifiers: [String: any KeyVerifier]
    /// Whether binding updates go to a platform; without one (standalone) the key is kept here.
    let hasPlatform: Bool
    /// Woken when a binding update is queued.
    let bindingWakeup: Wakeup
    let now: @Sendable () -> Date
    let logger: Logger

    // MARK: Inputs

    /// `/update [account]` or "Update API key": asks for the key, or says why not.
    func start(in chat: ChatAddress, reference: String?) async throws {
        switch try await accounts.choose(in: chat, reference: reference) {
        case .answer(let reply):
            try await sender.say(reply, to: chat)
        case .chosen(let target):
            var (conversation, actions) = KeyConversation.start(chat: chat, target: target, now: now())
            try await perform(actions, in: &conversation)
        }
    }

    /// A message in the chat: part of the key flow if one is running (true), else not ours (false).
    func text(_ text: String, messageID: String?, in chat: ChatAddress) async throws -> Bool {
        guard var conversation = try await load(chat) else { return false }
        try await run(&conversation, .text(text, messageID: messageID.flatMap { Int64($0) }))
        return true
    }

    /// Whether the chat's key flow waits for the secret or the passphrase.
    func awaitsSecret(in chat: ChatAddress) async throws -> Bool {
        switch try await load(chat)?.step {
        case .awaitingSecret?, .awaitingPassphrase?: true
        default: false
        }
    }

    func cancel(in chat: ChatAddress) async throws {
        guard var conversation = try await load(chat) else {
            try await sender.say(.nothingToCancel, to: chat)
            return
        }
        try await run(&conversation, .cancel)
    }

    /// Slack's form: the same conversation, fed the fields at once. A refusal ends it (a form
    /// has no "send the secret again"); the user opens the form again.
    func submitForm(accountID: String, fields: [String], in chat: ChatAddress) async throws {
        guard let userID = try await store(linkedTo: chat),
            let target = try await accounts.accounts(of: userID).first(where: { $0.accountID == accountID })
        else {
            try await sender.say(.accountNotYours, to: chat)
            return
        }
        if let existing = try await load(chat) {
            switch existing.step {
            case .checking, .applying:
                try await sender.say(.conversation(.stillWorking), to: chat)
                return
            case .awaitingKey, .awaitingSecret, .awaitingPassphrase, .finished:
                break
            }
        }
        if let next = try await accounts.nextCheckAllowed(accountID: target.accountID) {
            try await sender.say(.conversation(.tooManyAttempts(retryAfter: next)), to: chat)
            return
        }
        var (conversation, _) = KeyConversation.start(chat: chat, target: target, now: now())
        var actions: [KeyConversation.Action] = []
        for field in fields where !conversation.isFinished {
            actions += conversation.handle(.text(field, messageID: nil), now: now())
        }
        try await perform(actions, in: &conversation)
        switch conversation.step {
        case .awaitingKey, .awaitingSecret, .awaitingPassphrase:
            try await store.deleteConversation(chat: chat)
            try await sender.say(.enterKeyAgain, to: chat)
        case .checking, .applying, .finished:
            break
        }
    }

    /// A key entered in the Mini App form passed its check (in the form's request): any key
    /// conversation open here closes, forgetting what it collected, and the chat is told. The
    /// platform's answer follows through this lane like any binding update's.
    func enteredInForm(keyHint: String, stored: Bool, in chat: ChatAddress) async throws {
        let open = try await store.conversation(chat: chat) != nil
        if open { try await store.deleteConversation(chat: chat) }
        try await sender.say(.keyEnteredInForm(keyHint: keyHint, closedFlow: open), to: chat)
        if stored { try await sender.say(.conversation(.applied(standalone: true)), to: chat) }
    }

    /// The platform answered the binding update: the conversation waiting on it finishes. If
    /// it ended meanwhile (`/cancel`), the user is still told how it went.
    func settle(accountID: String, outcome: ChatInput.BindingOutcome, in chat: ChatAddress) async throws {
        if outcome == .delayed {
            try await sender.say(.bindingDelayed, to: chat)
            return
        }
        let input: KeyConversation.Input = outcome == .applied ? .applied(standalone: false) : .applyRefused
        if var conversation = try await load(chat), case .applying = conversation.step, conversation.target.accountID == accountID {
            try await run(&conversation, input)
        } else {
            try await sender.say(.conversation(outcome == .applied ? .applied(standalone: false) : .finishOnWeb), to: chat)
        }
    }

    /// Idle past the limit: a collecting conversation ends (the user is told). A check idle
    /// this long was cut short by a replica that died: it runs again.
    ///
    /// A conversation applying its key is never applied again: its binding update has one
    /// `webhook-id` whatever happens, and its answer comes through this lane. One whose update
    /// is gone and whose answer never came (the update ended before this lane existed) is
    /// ended after `answerGrace`, telling the user to finish on the web.
    func idle(in chat: ChatAddress) async throws {
        guard var conversation = try await load(chat) else { return }
        switch conversation.step {
        case .checking:
            logger.info("Resuming a key check left idle", metadata: ["chat": "\(chat)"])
            try await run(&conversation, .resume)
        case .applying:
            guard now().timeIntervalSince(conversation.lastActivityAt) >= Self.answerGrace,
                try await !store.hasPendingBindingUpdate(chat: chat)
            else { return }
            logger.notice("A key update got no answer from the platform; the user finishes on the web", metadata: ["chat": "\(chat)"])
            try await run(&conversation, .applyRefused)
        case .awaitingKey, .awaitingSecret, .awaitingPassphrase, .finished:
            try await run(&conversation, .tick)
        }
    }

    /// Longer than a binding update is retried (15 minutes) and than its answer takes to come
    /// through the lane.
    static let answerGrace: TimeInterval = 1800

    /// The service started: a check a shutdown cut short runs again. A conversation applying
    /// its key waits for the answer (see `idle`).
    func resume(in chat: ChatAddress) async throws {
        guard var conversation = try await load(chat) else { return }
        switch conversation.step {
        case .checking:
            logger.info("Resuming an interrupted key check", metadata: ["chat": "\(chat)", "account.id": "\(conversation.target.accountID)"])
            try await run(&conversation, .resume)
        case .applying, .awaitingKey, .awaitingSecret, .awaitingPassphrase, .finished:
            return
        }
    }

    // MARK: Running the conversation

    func run(_ conversation: inout KeyConversation, _ input: KeyConversation.Input) async throws {
        let actions = conversation.handle(input, now: now())
        // Nothing happened (a tick before the limit): nothing to save either.
        guard !actions.isEmpty else { return }
        try await perform(actions, in: &conversation)
    }

    func perform(_ actions: [KeyConversation.Action], in conversation: inout KeyConversation) async throws {
        let chat = conversation.chat
        var pending = actions[...]
        while let action = pending.popFirst() {
            var followUp: KeyConversation.Input?
            switch action {
            case .reply(let reply):
                // A form takes everything at once: nothing is asked for one piece at a time.
                if chat.channel == .slack, reply.asksForText { continue }
                // Asked for a key: the Mini App form is offered too, so the secret need not be pasted here.
                var keyForm: String?
                if case .askKey = reply { keyForm = conversation.target.accountID }
                try await sender.say(.conversation(reply), to: chat, exchange: conversation.target.exchange, keyFormAccountID: keyForm)
            case .deleteMessage(let id):
                try await sender.deleteSecret(String(id), in: chat)
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

    /// Asks the exchange. A shutdown cancels the check rather than waiting for a slow exchange;
    /// the conversation, saved as checking, is resumed at the next start.
    func check(_ credentials: ExchangeCredentials, context: KeyCheckContext, target: KeyConversation.Target) async throws -> KeyConversation.Input {
        if let next = try await accounts.nextCheckAllowed(accountID: target.accountID) {
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
                metadata: ["account.id": "\(target.accountID)", "key.cause": "\(verdict.cause?.rawValue ?? "usable")"]
            )
            return .checked(verdict)
        case .failure(.cancelled):
            throw CancellationError()
        case .failure(let error):
            logger.notice("Key not checked", metadata: ["account.id": "\(target.accountID)", "error": "\(error)"])
            return .checkFailed(error)
        }
    }

    /// Standalone, the key is kept here and that is the end of it. Otherwise the binding
    /// update goes into its outbox, in the same transaction as the conversation that waits on
    /// it; the `BindingDispatcher` delivers it and writes the platform's answer into the
    /// chat's lane.
    func apply(_ credentials: ExchangeCredentials, verdict: KeyVerdict, conversation: KeyConversation) async throws -> KeyConversation.Input? {
        let target = conversation.target
        guard hasPlatform else {
            try await vault.keep(credentials, verdict: verdict, userID: target.userID, accountID: target.accountID, exchange: target.exchange)
            return .applied(standalone: true)
        }
        try await store.queueBindingUpdate(
            try BindingOrder.queued(credentials, verdict: verdict, target: target, chat: conversation.chat, envelope: envelope, now: now()),
            conversation: try seal(conversation),
            activeAt: conversation.lastActivityAt,
            now: now()
        )
        bindingWakeup.poke()
        return nil
    }

    // MARK: Persistence

    func load(_ chat: ChatAddress) async throws -> KeyConversation? {
        guard let sealed = try await store.conversation(chat: chat) else { return nil }
        do {
            return try KeyConversation(snapshot: try envelope.open(sealed, as: .conversation(chat), Data.self))
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
        try envelope.seal(try conversation.snapshot(), as: .conversation(conversation.chat))
    }

    func store(linkedTo chat: ChatAddress) async throws -> String? {
        try await accounts.store.userID(linkedTo: chat)
    }
}

extension KeyConversation.Reply {
    /// Replies that ask the user to type the next piece of the key: Slack's form has them all.
    var asksForText: Bool {
        switch self {
        case .askKey, .askSecret, .askPassphrase: true
        default: false
        }
    }
}
