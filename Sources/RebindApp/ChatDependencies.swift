import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindExchanges
import RebindHTTP
import RebindPlatform
import RebindTelegram

/// What the chat side needs: the store, the Telegram client, the exchanges' verifiers, the
/// platform (or none: standalone), and the envelope that seals secrets at rest.
public struct ChatDependencies: Sendable {
    public var store: any ChatStore
    public var telegram: TelegramClient
    public var messenger: any ChatMessenger
    /// Every channel's messenger (Telegram's is `messenger`).
    public var messengers: [Channel: any ChatMessenger] { [.telegram: messenger] }
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
    let updatesWakeup = Wakeup()
    let noticesWakeup = Wakeup()
    let bindingsWakeup = Wakeup()

    public init(
        store: any ChatStore, telegram: TelegramClient, verifiers: [String: any KeyVerifier], publisher: (any BindingPublisher)?,
        envelope: SecretEnvelope, pacer: DeliveryPacer = DeliveryPacer(), retry: RetryPolicy = RetryPolicy(),
        bindingRetry: RetryPolicy = RetryPolicy(initialDelay: 1, maximumDelay: 60, giveUpAfter: 900), idleWait: Duration = .milliseconds(250),
        expiryInterval: Duration = .seconds(5)
    ) {
        self.store = store
        self.telegram = telegram
        messenger = TelegramMessenger(client: telegram)
        self.verifiers = verifiers
        self.publisher = publisher
        self.envelope = envelope
        self.pacer = pacer
        self.retry = retry
        self.bindingRetry = bindingRetry
        self.idleWait = idleWait
        self.expiryInterval = expiryInterval
    }

    /// Production wiring from the configuration, over one libcurl transport.
    public static func live(
        configuration: RebindConfiguration, store: any ChatStore, masterKey: Secret, logger: Logger
    ) throws -> ChatDependencies? {
        guard let telegram = configuration.telegram else { return nil }
        let transport = try CurlTransport(logger: logger)
        let client = try TelegramClient(baseURL: telegram.apiURL, token: telegram.botToken, transport: transport, logger: logger)
        let verifiers: [String: any KeyVerifier] = [
            "binance": BinanceKeyVerifier(baseURL: configuration.binanceAPIURL, transport: transport, logger: logger),
            "okx": OKXKeyVerifier(baseURL: configuration.okxAPIURL, transport: transport, logger: logger),
        ]
        let publisher = configuration.platform.map {
            PlatformBindingPublisher(url: $0.url, secret: $0.secret, transport: transport, logger: logger) as any BindingPublisher
        }
        let envelope = SecretEnvelope(current: try SecretEnvelope.Key(base64: masterKey, variable: "REBIND_MASTER_KEY"))
        return ChatDependencies(
            store: store, telegram: client, verifiers: verifiers, publisher: publisher, envelope: envelope,
            pacer: DeliveryPacer(perChatInterval: .seconds(1), globalRate: configuration.telegramRate))
    }
}
