import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindRendering
import ServiceLifecycle

/// The Mini App key form's work (DESIGN §3), apart from HTTP: who is asking (the launch data
/// Telegram signed with the bot's token), whether the account is theirs, the same format
/// checks, failed-check limit, exchange check and same-account rule as the chat flow, and
/// then the binding update and the chat's input committed together.
///
/// The verdict is judged by `KeyConversation` itself, fed the check's result exactly as the
/// chat flow feeds it, so the two flows cannot drift apart.
struct KeyFormIntake: Sendable {
    let store: any ChatStore
    let accounts: AccountDirectory
    let sender: ReplySender
    let vault: CredentialVault
    let inbox: LaneInbox
    let envelope: SecretEnvelope
    let verifiers: [String: any KeyVerifier]
    let botToken: Secret
    let maximumAge: TimeInterval
    /// Whether binding updates go to a platform; without one (standalone) the key is kept here.
    let hasPlatform: Bool
    let bindingWakeup: Wakeup
    let answers: BindingAnswers
    /// How long a submission waits for the platform's first answer before saying `queued`.
    var answerWait: Duration = .seconds(4)
    let now: @Sendable () -> Date
    let logger: Logger

    /// A refusal, in the user's language where they can be known: the status, a code, a
    /// plain-text message, and the field or cause it is about.
    struct Refusal: Error, Equatable {
        var status: Int
        var code: String
        var message: String
        var field: String?
        var cause: String?
    }

    /// A verified launch for an account of this user.
    struct Launch {
        var chat: ChatAddress
        var target: KeyConversation.Target
        var locale: String
    }

    // MARK: Who is asking

    /// Checks the launch data and that the account is this Telegram user's.
    func launch(initData: String?, accountID: String?) async throws -> Launch {
        guard let initData, !initData.isEmpty else {
            throw Refusal(status: 401, code: "init_data_invalid", message: await label(.keyFormExpired, locale: nil), field: "init_data")
        }
        let user: TelegramInitData
        do {
            user = try TelegramInitData.verify(initData, botToken: botToken, maximumAge: maximumAge, now: now())
        } catch {
            // Which check failed is for the log, named only: nothing of the unverified data is.
            logger.info("Key form launch refused", metadata: ["reason": "\(error.kind)"])
            throw Refusal(status: 401, code: "init_data_invalid", message: await label(.keyFormExpired, locale: nil), field: "init_data")
        }
        let chat = ChatAddress(channel: .telegram, id: String(user.userID))
        let owner = try await store.owner(of: chat)
        guard let userID = owner.userID, let accountID, !accountID.isEmpty,
            let target = try await accounts.accounts(of: userID).first(where: {
                $0.accountID == accountID || AccountDirectory.reference(for: $0.accountID) == accountID
            })
        else {
            logger.notice("Key form opened for an account not this Telegram user's", metadata: ["chat": "\(chat)"])
            throw Refusal(status: 403, code: "not_your_account", message: try message(.accountNotYours, locale: await sender.locale(for: chat)))
        }
        if let code = user.languageCode, !code.isEmpty {
            // As a message from this user would: the form and the chat speak the same language.
            try await store.recordReportedLanguage(code, chat: chat, now: now())
        }
        return Launch(chat: chat, target: target, locale: await sender.locale(for: chat))
    }

    // MARK: Submitting a key

    /// What a submission came to.
    struct Accepted: Equatable {
        enum Result: String { case applied, queued, stored }
        var result: Result
        var keyHint: String
        var message: String
    }

    func submit(_ launch: Launch, apiKey: String?, apiSecret: String?, passphrase: String?) async throws -> Accepted {
        let target = launch.target
        let credentials = try checkedFormat(target: target, locale: launch.locale, apiKey: apiKey, apiSecret: apiSecret, passphrase: passphrase)
        // A key already on its way from this chat (the form sent twice, or the chat's own flow
        // applying one): a second would race it to the platform, and the older might land last.
        if try await store.hasPendingBindingUpdate(chat: launch.chat) {
            throw Refusal(status: 409, code: "update_in_progress", message: try message(.conversation(.stillWorking), locale: launch.locale))
        }
        if let next = try await accounts.nextCheckAllowed(accountID: target.accountID) {
            throw Refusal(
                status: 429,
                code: "too_many_attempts",
                message: try message(.conversation(.tooManyAttempts(retryAfter: next)), locale: launch.locale)
            )
        }
        let verdict = try await check(credentials, target: target, locale: launch.locale)
        // The chat flow's own judgement of the verdict: usable, another exchange account, or refused.
        var conversation = KeyConversation(chat: launch.chat, target: target, step: .checking(credentials), lastActivityAt: now())
        let actions = conversation.handle(.checked(verdict), now: now())
        if actions.contains(.recordFailedCheck) {
            try await store.recordFailedCheck(accountID: target.accountID, now: now())
        }
        for action in actions {
            switch action {
            case .reply(.accountMismatch(let exchange)):
                throw Refusal(
                    status: 422,
                    code: "key_refused",
                    message: try message(.conversation(.accountMismatch(exchange: exchange)), locale: launch.locale),
                    cause: "account_mismatch"
                )
            case .reply(.keyRefused(let cause, let findings)):
                throw Refusal(
                    status: 422,
                    code: "key_refused",
                    message: try message(
                        .conversation(.keyRefused(cause: cause, warnings: findings)),
                        locale: launch.locale,
                        exchange: target.exchange
                    ),
                    cause: cause.rawValue
                )
            case .applyBinding(let credentials, let verdict):
                return try await apply(credentials, verdict: verdict, launch: launch)
            default:
                continue
            }
        }
        // `KeyConversation` answers a checked verdict with one of the three above.
        logger.error("A key form's check came to no verdict", metadata: ["account.id": "\(target.accountID)"])
        throw Refusal(status: 500, code: "internal", message: await label(.keyFormNetworkError, locale: launch.locale))
    }

    /// The chat flow's format checks, field by field, in the chat's words; a refusal names the field.
    func checkedFormat(
        target: KeyConversation.Target,
        locale: String,
        apiKey: String?,
        apiSecret: String?,
        passphrase: String?
    ) throws -> ExchangeCredentials {
        let format = CredentialFormat(exchange: target.exchange)
        func refused(_ error: CredentialFormat.Error, field: String) throws -> Refusal {
            Refusal(status: 400, code: "invalid_field", message: try message(.formFieldError(error), locale: locale), field: field)
        }
        let key: String
        do {
            key = try format.apiKey(apiKey ?? "")
        } catch {
            throw try refused(error, field: "api_key")
        }
        let secret: Secret
        do {
            secret = try format.apiSecret(apiSecret ?? "", apiKey: key)
        } catch {
            throw try refused(error, field: "api_secret")
        }
        guard format.needsPassphrase else { return ExchangeCredentials(apiKey: key, apiSecret: secret) }
        do {
            return ExchangeCredentials(
                apiKey: key,
                apiSecret: secret,
                passphrase: try format.passphrase(passphrase ?? "", apiKey: key, apiSecret: secret)
            )
        } catch {
            throw try refused(error, field: "passphrase")
        }
    }

    /// Asks the exchange, within the verifier's own timeouts.
    func check(_ credentials: ExchangeCredentials, target: KeyConversation.Target, locale: String) async throws -> KeyVerdict {
        let unavailable = { (error: KeyCheckError) throws -> Refusal in
            Refusal(status: 503, code: "check_unavailable", message: try message(.conversation(.checkUnavailable(error)), locale: locale))
        }
        guard let verifier = verifiers[target.exchange] else {
            throw try unavailable(.unreachable(exchange: target.exchange, reason: "no verifier for this exchange"))
        }
        do throws(KeyCheckError) {
            let verdict = try await verifier.verify(credentials, context: KeyCheckContext(needsFutures: target.needsFutures))
            logger.info(
                "Key checked (key form)",
                metadata: ["account.id": "\(target.accountID)", "key.cause": "\(verdict.cause?.rawValue ?? "usable")"]
            )
            return verdict
        } catch .cancelled {
            throw CancellationError()
        } catch {
            logger.notice("Key not checked (key form)", metadata: ["account.id": "\(target.accountID)", "error": "\(error)"])
            throw try unavailable(error)
        }
    }

    /// Standalone: the key is kept here, then the chat told. Otherwise the binding update and
    /// the chat's input are committed together, and the answer waited for a moment.
    func apply(_ credentials: ExchangeCredentials, verdict: KeyVerdict, launch: Launch) async throws -> Accepted {
        let target = launch.target
        let hint = credentials.keyHint
        guard hasPlatform else {
            try await vault.keep(credentials, verdict: verdict, userID: target.userID, accountID: target.accountID, exchange: target.exchange)
            // A second write: if it fails, the key is kept and the form says so; only the chat's note is lost.
            try await inbox.post(
                .keyFormEntered(accountID: target.accountID, keyHint: hint, stored: true),
                to: launch.chat,
                key: "keyform:\(target.accountID):\(UUID().uuidString)"
            )
            return Accepted(
                result: .stored,
                keyHint: hint,
                message: try message(.conversation(.applied(standalone: true)), locale: launch.locale)
            )
        }
        let queued = try BindingOrder.queued(credentials, verdict: verdict, target: target, chat: launch.chat, envelope: envelope, now: now())
        let input = try inbox.seal(
            .keyFormEntered(accountID: target.accountID, keyHint: hint, stored: false),
            to: launch.chat,
            key: "keyform:\(queued.id)"
        )
        answers.expect(queued.id)
        do {
            try await store.queueBindingUpdate(queued, telling: input, now: now())
        } catch {
            answers.forget(queued.id)
            throw error
        }
        inbox.wakeup.poke()
        bindingWakeup.poke()
        logger.info("Key form's binding update queued", metadata: ["account.id": "\(target.accountID)", "binding.id": "\(queued.id)"])
        switch await answers.wait(for: queued.id, timeout: answerWait) {
        case .applied?:
            return Accepted(
                result: .applied,
                keyHint: hint,
                message: try message(.conversation(.applied(standalone: false)), locale: launch.locale)
            )
        case .refused?:
            // The key works, but the platform would not take it from here.
            throw Refusal(status: 422, code: "platform_refused", message: try message(.conversation(.finishOnWeb), locale: launch.locale))
        case .delayed?, nil:
            return Accepted(result: .queued, keyHint: hint, message: await label(.keyFormQueued, locale: launch.locale))
        }
    }

    // MARK: Words

    /// A reply as the page shows it: the Telegram template's text without its markup, and
    /// without the emoji a chat message opens with (the page has its own icons).
    func message(_ reply: ChatReply, locale: String, exchange: String? = nil) throws -> String {
        let text = TelegramHTML.plainText(try sender.replies.render(reply, channel: .telegram, locale: locale, exchange: exchange).text)
        let opening = text.prefix { character in
            character == " " || character.unicodeScalars.contains { $0.properties.isEmojiPresentation || $0.value == 0xFE0F }
        }
        return String(text.dropFirst(opening.count))
    }

    /// A label in the locale; the default locale when the user is not known yet.
    func label(_ label: ChatLabel, locale: String?) async -> String {
        sender.replies.label(label, channel: .telegram, locale: locale ?? sender.matcher.defaultLocale)
    }
}
