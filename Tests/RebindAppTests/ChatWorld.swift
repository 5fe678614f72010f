import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RebindApp
import RebindCore
import RebindCrypto
import RebindExchanges
import RebindHTTP
import RebindPlatform
import RebindSQLite
import RebindSimulator
import RebindTelegram
import Synchronization
import Testing

/// Rebind wired as in production to fake Telegram, Binance, OKX and platform servers on
/// loopback, with helpers to play the user's side of a chat. The conversation tests share it.
struct ChatWorld {
    static let chatID: Int64 = 123_456_789
    static let webhookSecret = "tg-webhook-secret_1"
    static let platformSecret = "whsec_" + Data(repeating: 42, count: 32).base64EncodedString()
    static let envelopeKey = Secret(Data(repeating: 9, count: 32).base64EncodedString())

    struct Options {
        var binance: FakeBinanceServer.Scenario = .workingKey
        var okx: FakeOKXServer.Scenario = .workingKey
        /// nil: no platform configured (standalone mode).
        var platform: FakePlatformServer.Behaviour? = .accept()
        /// Seconds an exchange check may take.
        var checkTimeout: TimeInterval = 5
        /// Given to the application and to every adapter; by default nothing is logged.
        var logger: Logger?
        /// Replaces the verifier of an exchange.
        var verifiers: [String: any KeyVerifier] = [:]
        /// Another world's clock and SQLite directory, to restart on them.
        var clock: TestClock?
        var directory: URL?
        /// Retries of binding updates to the platform: short, so a test sees several.
        var bindingRetry = RetryPolicy(initialDelay: 0.05, maximumDelay: 0.2, giveUpAfter: 10)
        /// Retries of a chat input whose handling failed, and of deleting a secret's message.
        var inputRetryDelays: [Duration] = [.milliseconds(200), .milliseconds(500), .seconds(2)]
        var deleteRetryDelays: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(200)]
        /// `REBIND_PUBLIC_URL`: the Mini App key form is offered and served.
        var publicURL: String?
        /// How long the key form waits for the platform's first answer.
        var keyFormAnswerWait: Duration = .seconds(10)
        /// The first wait before a paused channel is probed.
        var channelProbeWait: TimeInterval = 0.2
        /// More `REBIND_*` settings (the admin token, …).
        var environment: [String: String] = [:]
    }

    let env: TestEnvironment
    let telegram: FakeTelegramServer
    let binance: FakeBinanceServer
    let okx: FakeOKXServer
    let platform: FakePlatformServer?
    let sqlite: SQLiteStore
    let logger: Logger

    static func start(_ options: Options = Options()) async throws -> ChatWorld {
        // The user's side is the test: replies are not paced here (pacing is tested on its own).
        let telegram = try await FakeTelegramServer.start(limits: .unlimited)
        let clock = options.clock ?? TestClock(TestEnvironment.start, running: true)
        // The exchanges and their verifiers share the test's clock, so expiry dates are in it.
        let binance = try await FakeBinanceServer.start(options.binance, now: { clock.now })
        let okx = try await FakeOKXServer.start(options.okx, now: { clock.now })
        var platform: FakePlatformServer?
        if let behaviour = options.platform {
            platform = try await FakePlatformServer.start(secret: platformSecret, behaviour: behaviour)
        }
        var options = options
        options.clock = clock
        return try make(options, telegram: telegram, binance: binance, okx: okx, platform: platform)
    }

    /// A new application on this one's fakes, SQLite files, envelope key and clock: what a
    /// restart of the process finds.
    func restarted(verifiers: [String: any KeyVerifier] = [:], bindingRetry: RetryPolicy? = nil) throws -> ChatWorld {
        var options = Options()
        if let bindingRetry { options.bindingRetry = bindingRetry }
        options.clock = env.clock
        options.directory = env.directory
        options.logger = logger
        options.verifiers = verifiers
        return try Self.make(options, telegram: telegram, binance: binance, okx: okx, platform: platform)
    }

    private static func make(
        _ options: Options,
        telegram: FakeTelegramServer,
        binance: FakeBinanceServer,
        okx: FakeOKXServer,
        platform: FakePlatformServer?
    ) throws -> ChatWorld {
        let clock = options.clock ?? TestClock(TestEnvironment.start, running: true)
        let logger = options.logger ?? Self.silentLogger
        var environment = [
            "REBIND_TELEGRAM_BOT_TOKEN": telegram.token.value, "REBIND_TELEGRAM_WEBHOOK_SECRET": webhookSecret,
            "REBIND_TELEGRAM_API_URL": telegram.baseURL, "REBIND_GROUP_WAIT_SECONDS": "0",
            "REBIND_BINANCE_API_URL": binance.baseURL, "REBIND_OKX_API_URL": okx.baseURL,
        ]
        if let publicURL = options.publicURL { environment["REBIND_PUBLIC_URL"] = publicURL }
        environment.merge(options.environment) { $1 }
        if let platform {
            environment["REBIND_PLATFORM_URL"] = platform.url
            environment["REBIND_PLATFORM_SECRET"] = platformSecret
        }
        let captured = Mutex<SQLiteStore?>(nil)
        let env = try TestEnvironment(
            environment: environment,
            clock: clock,
            directory: options.directory,
            chat: { _, store in
                captured.withLock { $0 = store }
                let transport = try CurlTransport(configuration: .init(timeout: 5), logger: logger)
                let client = try TelegramClient(baseURL: telegram.baseURL, token: telegram.token, transport: transport, logger: logger)
                var verifiers: [String: any KeyVerifier] = [
                    "binance": BinanceKeyVerifier(
                        baseURL: binance.baseURL,
                        transport: transport,
                        timeout: options.checkTimeout,
                        now: { clock.now },
                        logger: logger
                    ),
                    "okx": OKXKeyVerifier(
                        baseURL: okx.baseURL,
                        transport: transport,
                        timeout: options.checkTimeout,
                        now: { clock.now },
                        logger: logger
                    ),
                ]
                verifiers.merge(options.verifiers) { $1 }
                let publisher = try platform.map {
                    PlatformBindingPublisher(
                        url: $0.url,
                        secret: try WebhookSecret(platformSecret, variable: "T"),
                        transport: transport,
                        logger: logger
                    )
                        as any BindingPublisher
                }
                var dependencies = ChatDependencies(
                    store: store,
                    telegram: client,
                    verifiers: verifiers,
                    publisher: publisher,
                    envelope: SecretEnvelope(current: try SecretEnvelope.Key(base64: envelopeKey, variable: "T")),
                    bindingRetry: options.bindingRetry,
                    idleWait: .milliseconds(20),
                    expiryInterval: .milliseconds(20)
                )
                dependencies.inputRetryDelays = options.inputRetryDelays
                dependencies.telegramBotToken = telegram.token
                dependencies.keyFormAnswerWait = options.keyFormAnswerWait
                dependencies.channelProbeWait = options.channelProbeWait
                dependencies.deleteRetryDelays = options.deleteRetryDelays
                return dependencies
            }
        )
        let sqlite = try #require(captured.withLock { $0 })
        return ChatWorld(env: env, telegram: telegram, binance: binance, okx: okx, platform: platform, sqlite: sqlite, logger: logger)
    }

    static var silentLogger: Logger {
        var logger = Logger(label: "rebind-test")
        logger.logLevel = .critical
        return logger
    }

    func application() -> some ApplicationProtocol {
        env.application(logger: logger)
    }

    func shutdown() async throws {
        try await telegram.shutdown()
        try await binance.shutdown()
        try await okx.shutdown()
        try await platform?.shutdown()
    }

    var chat: ChatAddress { ChatAddress(channel: .telegram, id: String(Self.chatID)) }

    // MARK: The platform's side

    /// Posts a correctly signed event; returns the answer's status.
    @discardableResult
    func sendEvent(_ body: Data, id: String, via client: some TestClientProtocol) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v1/events", method: .post, headers: env.signedHeaders(id: id, body: body), body: ByteBuffer(data: body))
            .status
    }

    /// A `robot.paused` (or other) event; the chat id is left out when nil.
    static func event(
        type: String = "robot.paused",
        user: String = "u_1001",
        chatID: Int64? = chatID,
        account: String = "acc_42",
        exchange: String = "binance",
        label: String = "Main",
        keyHint: String = "h8A",
        boundAt: String = "2026-09-27T08:00:00Z",
        robot: String = "rb_7",
        text: String = "Pause: Invalid API key operation permission",
        market: String? = nil,
        locale: String? = "en",
        exchangeUID: String? = nil
    ) -> Data {
        var userObject: [String: Any] = ["id": user]
        if let locale { userObject["locale"] = locale }
        if let chatID { userObject["telegram_chat_id"] = chatID }
        var accountObject: [String: Any] = ["id": account, "exchange": exchange, "label": label, "api_key_hint": keyHint, "bound_at": boundAt]
        if let exchangeUID { accountObject["exchange_uid"] = exchangeUID }
        var object: [String: Any] = [
            "type": type, "occurred_at": "2026-11-26T09:30:00Z", "user": userObject, "account": accountObject,
        ]
        if type == "robot.paused" || type == "robot.stopped" || type == "robot.resumed" {
            var robotObject = ["id": robot, "name": "Grid \(robot)"]
            if let market { robotObject["market"] = market }
            object["robot"] = robotObject
        }
        if type == "robot.paused" || type == "robot.stopped" {
            object["reason"] = ["text": text]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    // MARK: The user's side

    func post(_ update: TelegramUpdate, via client: some TestClientProtocol) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/v1/telegram/webhook",
            method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!: Self.webhookSecret],
            body: ByteBuffer(data: try JSONEncoder().encode(update))
        ).status
    }

    /// The user sends `text`; waits for the bot's next `replies` messages and returns them.
    @discardableResult
    func userSends(
        _ text: String,
        chatID: Int64 = chatID,
        languageCode: String? = nil,
        replies: Int,
        via client: some TestClientProtocol,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [FakeTelegramServer.ChatMessage] {
        try await act(chatID: chatID, replies: replies, via: client, sourceLocation: sourceLocation) {
            var update = telegram.userSends(chatID: chatID, text: text)
            // The user's app language, as Telegram reports it with each message.
            if let languageCode { update.message?.from?.languageCode = languageCode }
            return update
        }
    }

    /// The user sends a photo or a document with `caption` (or none); waits for the bot's next
    /// `replies` messages.
    @discardableResult
    func userSendsFile(
        caption: String?,
        chatID: Int64 = chatID,
        replies: Int,
        via client: some TestClientProtocol,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [FakeTelegramServer.ChatMessage] {
        try await act(chatID: chatID, replies: replies, via: client, sourceLocation: sourceLocation) {
            telegram.userSendsFile(chatID: chatID, caption: caption)
        }
    }

    /// The user taps a button under a message; waits for the bot's next `replies` messages.
    @discardableResult
    func userTaps(
        _ data: String,
        on messageID: Int64,
        chatID: Int64 = chatID,
        replies: Int,
        via client: some TestClientProtocol,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [FakeTelegramServer.ChatMessage] {
        try await act(chatID: chatID, replies: replies, via: client, sourceLocation: sourceLocation) {
            telegram.userTaps(chatID: chatID, messageID: messageID, data: data)
        }
    }

    private func act(
        chatID: Int64,
        replies: Int,
        via client: some TestClientProtocol,
        sourceLocation: SourceLocation,
        _ update: () -> TelegramUpdate
    ) async throws -> [FakeTelegramServer.ChatMessage] {
        let before = telegram.calls(method: "sendMessage").count { $0.outcome != .pending }
        let lastSeen = telegram.messages(inChat: chatID).last?.messageID ?? 0
        #expect(try await post(update(), via: client) == .ok, sourceLocation: sourceLocation)
        let after = await telegram.waitForCalls(method: "sendMessage", count: before + replies)
        #expect(after.count == before + replies, "bot replies", sourceLocation: sourceLocation)
        return botMessages(chatID: chatID).filter { $0.messageID > lastSeen }
    }

    // MARK: Links

    /// `POST /v1/links` as the platform calls it; returns the response.
    func requestLink(user: String, name: String?, id: String, via client: some TestClientProtocol) async throws -> TestResponse {
        var object: [String: Any] = ["user_id": user]
        if let name { object["display_name"] = name }
        let body = try JSONSerialization.data(withJSONObject: object)
        return try await client.execute(uri: "/v1/links", method: .post, headers: env.signedHeaders(id: id, body: body), body: ByteBuffer(data: body))
    }

    /// A link token for `user`, as `/start` takes it.
    func linkToken(user: String, name: String, id: String? = nil, via client: some TestClientProtocol) async throws -> String {
        let response = try await requestLink(user: user, name: name, id: id ?? "link_\(UUID().uuidString)", via: client)
        #expect(response.status == .created)
        let command = try #require(response.json["slack_command"] as? String)
        return String(command.dropFirst("/rebind link ".count))
    }

    /// Opens `/start <token>` and taps Confirm; returns what the bot said after the tap
    /// (`replies` messages).
    @discardableResult
    func confirmLink(
        _ token: String,
        chatID: Int64 = chatID,
        replies: Int,
        via client: some TestClientProtocol,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [FakeTelegramServer.ChatMessage] {
        let question = try #require(
            try await userSends("/start \(token)", chatID: chatID, replies: 1, via: client, sourceLocation: sourceLocation).only,
            sourceLocation: sourceLocation
        )
        let confirm = try #require(question.callbackData.first { $0.hasPrefix("c:") }, sourceLocation: sourceLocation)
        return try await userTaps(confirm, on: question.messageID, chatID: chatID, replies: replies, via: client, sourceLocation: sourceLocation)
    }

    /// Waits until every update sent so far is processed: updates are processed in order, so
    /// once `/help` is answered, all before it are done.
    func settle(chatID: Int64 = chatID, via client: some TestClientProtocol) async throws {
        try await userSends("/help", chatID: chatID, replies: 1, via: client)
    }

    /// Waits until every update of the chat sent so far is processed, without sending one
    /// (a `/help` while the key flow waits for a secret would be taken as the secret).
    func drained(chatID: Int64 = chatID, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let lane = ChatAddress(channel: .telegram, id: String(chatID)).description
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !sqlite.pendingUpdates(inLanes: [lane], after: 0, limit: 1).isEmpty {
            guard ContinuousClock.now < deadline else {
                Issue.record("the chat's updates were not processed within 10 s", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func botMessages(chatID: Int64 = chatID) -> [FakeTelegramServer.ChatMessage] {
        telegram.messages(inChat: chatID).filter(\.fromBot)
    }

    /// Every text the bot sent anywhere, as sent (markup included), and every edit's.
    func everythingTheBotSent() -> [String] {
        telegram.calls().filter { ["sendmessage", "editmessagetext", "answercallbackquery"].contains($0.method.lowercased()) }.map(\.bodyText)
    }

    /// The user's messages the bot deleted.
    func deletedTexts(chatID: Int64 = chatID) -> [String] {
        telegram.deletedMessages(inChat: chatID).map(\.text)
    }

    // MARK: The store

    func hasConversation() async throws -> Bool {
        try await sqlite.conversation(chat: chat) != nil
    }

    func storedCredentials() async throws -> [String] {
        try await sqlite.sealedCredentials().map(\.accountID)
    }
}

extension FakeBinanceServer {
    /// How many key checks reached the fake: each starts with the API restrictions call (whose
    /// answer, when there is one, is followed by the account call).
    func checks() -> Int {
        requests().count { $0.pathWithoutQuery == "/sapi/v1/account/apiRestrictions" }
    }
}
