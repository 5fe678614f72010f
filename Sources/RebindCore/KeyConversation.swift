import Foundation

/// The guided key update, as a state machine: inputs in (what the user sent, what the exchange
/// and the platform answered, time passing), actions out (what to say, which message to delete,
/// what to check and apply). It performs nothing itself, so Telegram and Slack share it and
/// tests drive it without a network.
public struct KeyConversation: Sendable, Equatable {
    /// The account whose key is being replaced.
    public struct Target: Sendable, Equatable, Codable {
        public var userID: String
        public var accountID: String
        public var exchange: String
        public var label: String?
        /// The robots waiting on this key, for the binding update.
        public var robotIDs: [String]
        public var needsFutures: Bool
        /// The exchange's id of the account this key must belong to, when known: from the
        /// platform's events (`account.exchange_uid`) or an earlier accepted key. Nil: any
        /// account's key is taken (and its id remembered).
        public var exchangeUID: String?

        public init(
            userID: String,
            accountID: String,
            exchange: String,
            label: String? = nil,
            robotIDs: [String] = [],
            needsFutures: Bool = false,
            exchangeUID: String? = nil
        ) {
            self.userID = userID
            self.accountID = accountID
            self.exchange = exchange
            self.label = label
            self.robotIDs = robotIDs
            self.needsFutures = needsFutures
            self.exchangeUID = exchangeUID
        }
    }

    public enum Step: Sendable, Equatable {
        case awaitingKey
        case awaitingSecret(apiKey: String)
        case awaitingPassphrase(apiKey: String, apiSecret: Secret)
        /// The exchange is checking the key.
        case checking(ExchangeCredentials)
        /// The key passed; the platform (or the local store) is taking it.
        case applying(ExchangeCredentials)
        case finished
    }

    public enum Input: Sendable, Equatable {
        /// Text the user sent; `messageID` lets the chat delete it.
        case text(String, messageID: Int64?)
        case cancel
        /// Time passed; ends the conversation once it has been idle too long.
        case tick
        /// The service restarted: a check (or the binding update after it) that a shutdown cut
        /// short is run again.
        case resume
        case checked(KeyVerdict)
        case checkFailed(KeyCheckError)
        /// Too many failed checks for this account lately; no check was made.
        case checkLimited(retryAfter: Date)
        /// The platform accepted the binding update, or it was stored locally (standalone).
        case applied(standalone: Bool)
        /// The platform refused the binding update for good.
        case applyRefused
    }

    public enum Action: Sendable, Equatable {
        case reply(Reply)
        /// Delete the user's message: it held, or may have held, a secret.
        case deleteMessage(Int64)
        case checkKey(ExchangeCredentials, KeyCheckContext)
        case applyBinding(ExchangeCredentials, KeyVerdict)
        /// Count a failed check against the account's hourly limit.
        case recordFailedCheck
    }

    public enum Reply: Sendable, Equatable {
        case askKey(exchange: String, label: String?)
        case askSecret(keyHint: String)
        case askPassphrase
        case badPaste(CredentialFormat.Error)
        case checking(exchange: String)
        case stillWorking
        case keyRefused(cause: Cause, warnings: [KeyFinding])
        /// The key works but belongs to another account on the exchange than the one bound.
        case accountMismatch(exchange: String)
        case checkUnavailable(KeyCheckError)
        case tooManyAttempts(retryAfter: Date)
        case keyAccepted(keyHint: String, warnings: [KeyFinding])
        case applied(standalone: Bool)
        case finishOnWeb
        case cancelled
        /// `/cancel` after the key went to the platform: it can't be called back.
        case tooLateToCancel
        case expired
    }

    /// A conversation idle this long ends and forgets what it collected.
    public static let idleLimit: TimeInterval = 600

    public let chat: ChatAddress
    public let target: Target
    public private(set) var step: Step
    public private(set) var lastActivityAt: Date

    public var isFinished: Bool { step == .finished }

    /// Starts a conversation and says what to ask first.
    public static func start(chat: ChatAddress, target: Target, now: Date) -> (KeyConversation, [Action]) {
        let conversation = KeyConversation(chat: chat, target: target, step: .awaitingKey, lastActivityAt: now)
        return (conversation, [.reply(.askKey(exchange: target.exchange, label: target.label))])
    }

    /// Restores a persisted conversation.
    public init(chat: ChatAddress, target: Target, step: Step, lastActivityAt: Date) {
        self.chat = chat
        self.target = target
        self.step = step
        self.lastActivityAt = lastActivityAt
    }

    var format: CredentialFormat { CredentialFormat(exchange: target.exchange) }

    public mutating func handle(_ input: Input, now: Date) -> [Action] {
        guard !isFinished else { return [] }
        if case .tick = input {
            guard now.timeIntervalSince(lastActivityAt) >= Self.idleLimit, isCollecting else { return [] }
            return finish(with: .expired)
        }
        switch input {
        case .text(let text, let messageID):
            lastActivityAt = now
            return received(text, messageID: messageID)
        case .cancel:
            if case .applying = step { return [.reply(.tooLateToCancel)] }
            return finish(with: .cancelled)
        case .checked(let verdict):
            guard case .checking(let credentials) = step else { return [] }
            lastActivityAt = now
            if let expected = target.exchangeUID, verdict.names(anotherAccountThan: expected) {
                // Whatever else is wrong with it, a key of another exchange account is never
                // this account's: fixing its permissions would not help, so that is all it says.
                step = .awaitingKey
                return [
                    .recordFailedCheck,
                    .reply(.accountMismatch(exchange: target.exchange)),
                    .reply(.askKey(exchange: target.exchange, label: target.label)),
                ]
            }
            if verdict.usable {
                step = .applying(credentials)
                return [
                    .reply(.keyAccepted(keyHint: credentials.keyHint, warnings: verdict.findings)),
                    .applyBinding(credentials, verdict),
                ]
            }
            // Refused. A wrong passphrase or secret is asked for again (the key itself is
            // fine, and the failed-check limit bounds guessing); otherwise what was collected is
            // discarded and the user starts again with a new key.
            let next: Reply
            switch (verdict.cause, credentials.passphrase) {
            case (.passphraseWrong?, .some):
                step = .awaitingPassphrase(apiKey: credentials.apiKey, apiSecret: credentials.apiSecret)
                next = .askPassphrase
            case (.secretWrong?, _):
                step = .awaitingSecret(apiKey: credentials.apiKey)
                next = .askSecret(keyHint: credentials.keyHint)
            default:
                step = .awaitingKey
                next = .askKey(exchange: target.exchange, label: target.label)
            }
            return [
                .recordFailedCheck,
                .reply(.keyRefused(cause: verdict.cause ?? .unknown, warnings: verdict.findings)),
                .reply(next),
            ]
        case .checkFailed(let error):
            guard case .checking = step else { return [] }
            return finish(with: .checkUnavailable(error))
        case .checkLimited(let retryAfter):
            guard case .checking = step else { return [] }
            return finish(with: .tooManyAttempts(retryAfter: retryAfter))
        case .applied(let standalone):
            guard case .applying = step else { return [] }
            return finish(with: .applied(standalone: standalone))
        case .applyRefused:
            guard case .applying = step else { return [] }
            return finish(with: .finishOnWeb)
        case .resume:
            switch step {
            case .checking(let credentials), .applying(let credentials):
                // The verdict is not kept, so an interrupted binding update is checked again too.
                return check(credentials)
            case .awaitingKey, .awaitingSecret, .awaitingPassphrase, .finished:
                return []
            }
        case .tick:
            return []
        }
    }

    /// Whether the conversation is waiting on the user (and so can go idle).
    var isCollecting: Bool {
        switch step {
        case .awaitingKey, .awaitingSecret, .awaitingPassphrase: true
        case .checking, .applying, .finished: false
        }
    }

    mutating func received(_ text: String, messageID: Int64?) -> [Action] {
        // Every message during the flow may hold a secret (a secret pasted where the key was
        // asked for, too), so each is deleted as soon as it is read.
        let delete: [Action] = messageID.map { [.deleteMessage($0)] } ?? []
        switch step {
        case .awaitingKey:
            do {
                let key = try format.apiKey(text)
                step = .awaitingSecret(apiKey: key)
                return delete + [.reply(.askSecret(keyHint: ExchangeCredentials(apiKey: key, apiSecret: Secret("")).keyHint))]
            } catch {
                return delete + [.reply(.badPaste(error))]
            }
        case .awaitingSecret(let key):
            do {
                let secret = try format.apiSecret(text, apiKey: key)
                if format.needsPassphrase {
                    step = .awaitingPassphrase(apiKey: key, apiSecret: secret)
                    return delete + [.reply(.askPassphrase)]
                }
                return delete + check(ExchangeCredentials(apiKey: key, apiSecret: secret))
            } catch {
                return delete + [.reply(.badPaste(error))]
            }
        case .awaitingPassphrase(let key, let secret):
            do {
                let passphrase = try format.passphrase(text, apiKey: key, apiSecret: secret)
                return delete + check(ExchangeCredentials(apiKey: key, apiSecret: secret, passphrase: passphrase))
            } catch {
                return delete + [.reply(.badPaste(error))]
            }
        case .checking, .applying:
            return delete + [.reply(.stillWorking)]
        case .finished:
            return []
        }
    }

    mutating func check(_ credentials: ExchangeCredentials) -> [Action] {
        step = .checking(credentials)
        return [
            .reply(.checking(exchange: target.exchange)),
            .checkKey(credentials, KeyCheckContext(needsFutures: target.needsFutures)),
        ]
    }

    mutating func finish(with reply: Reply) -> [Action] {
        // Forget the collected key, secret and passphrase.
        step = .finished
        return [.reply(reply)]
    }
}

extension KeyVerdict {
    /// Whether the key is shown to belong to an exchange account other than `expected`. A
    /// usable verdict that names no account cannot show it is the same one, so it counts as
    /// another; a refusal that names none (the exchange would not describe the key) keeps its
    /// own cause.
    func names(anotherAccountThan expected: String) -> Bool {
        guard let uid = exchangeUID else { return usable }
        return uid != expected
    }
}
