import Crypto
import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindExchanges
import RebindHTTP
import RebindPlatform
import RebindSlack
import RebindTelegram

/// What the chat side needs: the store, the chat channels that are on (Telegram, Slack or
/// both), the exchanges' verifiers, the platform (or none: standalone), and the envelope that
/// seals secrets at rest.
public struct ChatDependencies: Sendable {
    public var store: any ChatStore
    public var telegram: TelegramClient?
    /// The bot's token, which also signs Mini App launch data (the key form checks it).
    public var telegramBotToken: Secret?
    /// Telegram messages are sent with `allow_paid_broadcast` (charged in Stars).
    public var telegramPaidBroadcast = false
    public var slack: SlackSide?
    /// Every channel's messenger.
    public var messengers: [Channel: any ChatMessenger] {
        var messengers: [Channel: any ChatMessenger] = [:]
        if let telegram { messengers[.telegram] = TelegramMessenger(client: telegram, paidBroadcast: telegramPaidBroadcast) }
        if let slack { messengers[.slack] = slack.messenger }
        return messengers
    }

    /// Slack: the workspaces' clients, the messenger over them, and its pacing.
    public struct SlackSide: Sendable {
        public var workspaces: SlackWorkspaces
        public var messenger: SlackMessenger
        public var signature: SlackSignature
        public var pacer: DeliveryPacer
        public var oauth: SlackOAuth?
        /// Signs the OAuth install's `state`; derived from the master key, so every replica
        /// has the same one.
        public var stateSecret: Secret

        public init(
            workspaces: SlackWorkspaces,
            signingSecret: Secret,
            pacer: DeliveryPacer = DeliveryPacer(),
            oauth: SlackOAuth? = nil,
            stateSecret: Secret = Secret(UUID().uuidString)
        ) {
            self.stateSecret = stateSecret
            self.workspaces = workspaces
            messenger = SlackMessenger { teamID throws(DeliveryError) in try await workspaces.client(teamID: teamID) }
            signature = SlackSignature(signingSecret: signingSecret)
            self.pacer = pacer
            self.oauth = oauth
        }
    }
    public var verifiers: [String: any KeyVerifier]
    public var publisher: (any BindingPublisher)?
    public var envelope: SecretEnvelope
    public var pacer: DeliveryPacer
    public var retry: RetryPolicy
    /// Retries of binding updates to the platform: shorter than for messages, since the user
    /// is waiting on the answer.
    public var bindingRetry: RetryPolicy
    /// How long background services sleep when idle (they are also woken by new work).
    public var idleWait: Duration
    /// How often conversations idle past their limit are looked for and ended.
    public var expiryInterval: Duration
    /// The waits before each retry of a chat input whose handling failed (a store or a
    /// platform briefly down); after the last, the input is dropped and the user told.
    public var inputRetryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(5)]
    /// How long a key form's request waits for the platform's first answer before saying
    /// the key is on its way.
    public var keyFormAnswerWait: Duration = .seconds(4)
    /// The waits before each retry of deleting a message that may hold a secret.
    public var deleteRetryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(5)]
    let updatesWakeup = Wakeup()
    let noticesWakeup = Wakeup()
    let bindingsWakeup = Wakeup()
    let warningsWakeup = Wakeup()
    let platformEventsWakeup = Wakeup()
    /// Channels paused because the platform refuses the bot's token (shown in `/readyz`).
    let channelHealth = ChannelHealth()
    /// The first wait before a paused channel is probed; doubled after each failed probe.
    public var channelProbeWait: TimeInterval = 5

    public init(
        store: any ChatStore,
        telegram: TelegramClient?,
        slack: SlackSide? = nil,
        verifiers: [String: any KeyVerifier],
        publisher: (any BindingPublisher)?,
        envelope: SecretEnvelope,
        pacer: DeliveryPacer = DeliveryPacer(),
        retry: RetryPolicy = RetryPolicy(),
        bindingRetry: RetryPolicy = RetryPolicy(initialDelay: 1, maximumDelay: 60, giveUpAfter: 900),
        idleWait: Duration = .milliseconds(250),
        expiryInterval: Duration = .seconds(5)
    ) {
        self.store = store
        self.telegram = telegram
        self.slack = slack
        self.verifiers = verifiers
        self.publisher = publisher
        self.envelope = envelope
        self.pacer = pacer
        self.retry = retry
        self.bindingRetry = bindingRetry
        self.idleWait = idleWait
        self.expiryInterval = expiryInterval
    }

    /// Production wiring from the configuration, over one libcurl transport. Nil when no chat
    /// channel is on.
    public static func live(
        configuration: RebindConfiguration,
        store: any ChatStore,
        masterKey: Secret,
        logger: Logger
    ) throws -> ChatDependencies? {
        guard configuration.telegram != nil || configuration.slack != nil else { return nil }
        let transport = try CurlTransport(logger: logger)
        let envelope = SecretEnvelope(
            current: try SecretEnvelope.Key(base64: masterKey, variable: "REBIND_MASTER_KEY"),
            previous: try configuration.previousMasterKeys.map { try SecretEnvelope.Key(base64: $0, variable: "REBIND_MASTER_KEY_PREVIOUS") }
        )
        let client = try configuration.telegram.map {
            try TelegramClient(baseURL: $0.apiURL, token: $0.botToken, transport: transport, logger: logger)
        }
        var slack: SlackSide?
        if let settings = configuration.slack {
            guard let installations = store as? any SlackInstallationStore else {
                throw RebindConfiguration.Error.invalid(variable: "REBIND_DATABASE_URL", reason: "this store cannot keep Slack installations")
            }
            let workspaces = try SlackWorkspaces(store: installations, envelope: envelope, botToken: settings.botToken) { token in
                do {
                    return try SlackClient(baseURL: settings.apiURL, token: token, transport: transport, logger: logger)
                } catch {
                    throw RebindConfiguration.Error.invalid(variable: "REBIND_SLACK_BOT_TOKEN", reason: "\(error)")
                }
            }
            let oauth = settings.oauth.map {
                SlackOAuth(baseURL: settings.apiURL, clientID: $0.clientID, clientSecret: $0.clientSecret, transport: transport, logger: logger)
            }
            let stateKey = HMAC<SHA256>.authenticationCode(
                for: Data("rebind slack oauth state".utf8),
                using: SymmetricKey(data: Data(masterKey.value.utf8))
            )
            slack = SlackSide(
                workspaces: workspaces,
                signingSecret: settings.signingSecret,
                pacer: DeliveryPacer(perChatInterval: .seconds(1), globalRate: settings.rate),
                oauth: oauth,
                stateSecret: Secret(Data(stateKey).base64EncodedString())
            )
        }
        let verifiers: [String: any KeyVerifier] = [
            "binance": BinanceKeyVerifier(baseURL: configuration.binanceAPIURL, transport: transport, logger: logger),
            "okx": OKXKeyVerifier(baseURL: configuration.okxAPIURL, transport: transport, logger: logger),
        ]
        let publisher = configuration.platform.map {
            PlatformBindingPublisher(url: $0.url, secret: $0.secret, transport: transport, logger: logger) as any BindingPublisher
        }
        var dependencies = ChatDependencies(
            store: store,
            telegram: client,
            slack: slack,
            verifiers: verifiers,
            publisher: publisher,
            envelope: envelope,
            pacer: DeliveryPacer(perChatInterval: .seconds(1), globalRate: configuration.telegramRate)
        )
        dependencies.telegramPaidBroadcast = configuration.telegramPaidBroadcast
        dependencies.telegramBotToken = configuration.telegram?.botToken
        return dependencies
    }
}
