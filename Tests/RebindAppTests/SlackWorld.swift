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
import RebindSlack
import RebindTelegram
import Synchronization
import Testing

/// Rebind wired as in production with Slack on, to the fake Slack Web API, the fake
/// exchanges and platform (and, when asked, the fake Telegram) on loopback; with helpers that
/// post to the three Slack endpoints exactly as Slack does, signed with the signing secret,
/// and the platform's signed events. The Slack tests share it.
struct SlackWorld {
    static let teamID = FakeSlackServer.defaultWorkspace.teamID
    static let userID = "U0TRADER01"
    static let signingSecret = Secret("8f742231b10e8888abcd99yyyzzz85a5")
    static let platformSecret = ChatWorld.platformSecret
    static let envelopeKey = ChatWorld.envelopeKey

    struct Options {
        var binance: FakeBinanceServer.Scenario = .workingKey
        var okx: FakeOKXServer.Scenario = .workingKey
        /// nil: no platform configured (standalone mode).
        var platform: FakePlatformServer.Behaviour? = .accept()
        /// Telegram on too, for users linked on both.
        var telegram = false
        /// Given to the application and to every adapter; by default nothing is logged.
        var logger: Logger?
        var bindingRetry = RetryPolicy(initialDelay: 0.05, maximumDelay: 0.2, giveUpAfter: 10)
        /// The fake Slack's posting limit; none by default (the user's side is the test).
        var slackLimits: FakeSlackServer.Limits = .unlimited
        /// Rebind's Slack pacer as production builds it (1 s per DM, `REBIND_SLACK_RATE`
        /// overall) rather than one that lets a message follow the last at once.
        var productionPacing = false
    }

    let env: TestEnvironment
    let slack: FakeSlackServer
    let telegram: FakeTelegramServer?
    let binance: FakeBinanceServer
    let okx: FakeOKXServer
    let platform: FakePlatformServer?
    let sqlite: SQLiteStore
    let logger: Logger

    static func start(_ options: Options = Options()) async throws -> SlackWorld {
        // By default the user's side is the test: replies are not held to Slack's posting limit.
        let slack = try await FakeSlackServer.start(limits: options.slackLimits)
        let telegram = options.telegram ? try await FakeTelegramServer.start(limits: .unlimited) : nil
        let clock = TestClock(TestEnvironment.start, running: true)
        let binance = try await FakeBinanceServer.start(options.binance, now: { clock.now })
        let okx = try await FakeOKXServer.start(options.okx, now: { clock.now })
        var platform: FakePlatformServer?
        if let behaviour = options.platform {
            platform = try await FakePlatformServer.start(secret: platformSecret, behaviour: behaviour)
        }
        let logger = options.logger ?? ChatWorld.silentLogger

        var environment = [
            "REBIND_SLACK_SIGNING_SECRET": signingSecret.value, "REBIND_SLACK_BOT_TOKEN": slack.token.value,
            "REBIND_SLACK_API_URL": slack.baseURL, "REBIND_GROUP_WAIT_SECONDS": "0",
            "REBIND_BINANCE_API_URL": binance.baseURL, "REBIND_OKX_API_URL": okx.baseURL,
        ]
        if let telegram {
            environment["REBIND_TELEGRAM_BOT_TOKEN"] = telegram.token.value
            environment["REBIND_TELEGRAM_WEBHOOK_SECRET"] = ChatWorld.webhookSecret
            environment["REBIND_TELEGRAM_API_URL"] = telegram.baseURL
        }
        if let platform {
            environment["REBIND_PLATFORM_URL"] = platform.url
            environment["REBIND_PLATFORM_SECRET"] = platformSecret
        }
        let captured = Mutex<SQLiteStore?>(nil)
        let env = try TestEnvironment(
            environment: environment,
            clock: clock,
            chat: { configuration, store in
                captured.withLock { $0 = store }
                let transport = try CurlTransport(configuration: .init(timeout: 5), logger: logger)
                let envelope = SecretEnvelope(current: try SecretEnvelope.Key(base64: envelopeKey, variable: "T"))
                let workspaces = try SlackWorkspaces(store: store, envelope: envelope, botToken: slack.token) { token in
                    try SlackClient(baseURL: slack.baseURL, token: token, transport: transport, logger: logger)
                }
                let client = try telegram.map {
                    try TelegramClient(baseURL: $0.baseURL, token: $0.token, transport: transport, logger: logger)
                }
                let publisher = try platform.map {
                    PlatformBindingPublisher(
                        url: $0.url,
                        secret: try WebhookSecret(platformSecret, variable: "T"),
                        transport: transport,
                        logger: logger
                    )
                        as any BindingPublisher
                }
                // Pacing is tested on its own: unless asked for, a reply follows the last at once.
                let pacer =
                    options.productionPacing
                    ? DeliveryPacer(perChatInterval: .seconds(1), globalRate: try #require(configuration.slack).rate)
                    : DeliveryPacer(perChatInterval: .milliseconds(1))
                var dependencies = ChatDependencies(
                    store: store,
                    telegram: client,
                    slack: .init(workspaces: workspaces, signingSecret: signingSecret, pacer: pacer),
                    verifiers: [
                        "binance": BinanceKeyVerifier(baseURL: binance.baseURL, transport: transport, now: { clock.now }, logger: logger),
                        "okx": OKXKeyVerifier(baseURL: okx.baseURL, transport: transport, now: { clock.now }, logger: logger),
                    ],
                    publisher: publisher,
                    envelope: envelope,
                    bindingRetry: options.bindingRetry,
                    idleWait: .milliseconds(20),
                    expiryInterval: .milliseconds(20)
                )
                // A paused workspace is probed soon and often, so a test sees it resume.
                dependencies.channelProbeWait = 0.2
                return dependencies
            }
        )
        let sqlite = try #require(captured.withLock { $0 })
        return SlackWorld(env: env, slack: slack, telegram: telegram, binance: binance, okx: okx, platform: platform, sqlite: sqlite, logger: logger)
    }

    /// Runs `body` against the live application, then shuts the fakes down.
    static func with(
        _ options: Options = Options(),
        _ body: @escaping @Sendable (SlackWorld, any TestClientProtocol) async throws -> Void
    ) async throws {
        let world = try await start(options)
        do {
            try await world.env.application(logger: world.logger).test(.live) { client in try await body(world, client) }
        } catch {
            try? await world.shutdown()
            throw error
        }
        try await world.shutdown()
    }

    func shutdown() async throws {
        try await slack.shutdown()
        try await telegram?.shutdown()
        try await binance.shutdown()
        try await okx.shutdown()
        try await platform?.shutdown()
    }

    static func chat(user: String = userID, team: String = teamID) -> ChatAddress { .slack(teamID: team, userID: user) }

    // MARK: The platform's side

    /// Posts a correctly signed platform event; returns the answer's status.
    @discardableResult
    func sendEvent(_ body: Data, id: String, via client: some TestClientProtocol) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v1/events", method: .post, headers: env.signedHeaders(id: id, body: body), body: ByteBuffer(data: body))
            .status
    }

    /// A platform event for a user named by Slack (`user.slack`) and, when given, by a
    /// Telegram chat id; neither when `slackUser` and `chatID` are nil.
    static func event(
        type: String = "robot.paused",
        user: String = "u_1001",
        slackUser: String? = userID,
        team: String = teamID,
        chatID: Int64? = nil,
        account: String = "acc_42",
        exchange: String = "binance",
        label: String = "Main",
        keyHint: String = "h8A",
        boundAt: String = "2026-09-27T08:00:00Z",
        robot: String = "rb_7",
        text: String = "Pause: Invalid API key operation permission",
        locale: String? = "en",
        exchangeUID: String? = nil
    ) -> Data {
        var userObject: [String: Any] = ["id": user]
        if let locale { userObject["locale"] = locale }
        if let slackUser { userObject["slack"] = ["team_id": team, "user_id": slackUser] }
        if let chatID { userObject["telegram_chat_id"] = chatID }
        var accountObject: [String: Any] = ["id": account, "exchange": exchange, "label": label, "api_key_hint": keyHint, "bound_at": boundAt]
        if let exchangeUID { accountObject["exchange_uid"] = exchangeUID }
        var object: [String: Any] = [
            "type": type, "occurred_at": "2026-11-26T09:30:00Z", "user": userObject, "account": accountObject,
        ]
        if type == "robot.paused" || type == "robot.stopped" || type == "robot.resumed" {
            object["robot"] = ["id": robot, "name": "Grid \(robot)"]
        }
        if type == "robot.paused" || type == "robot.stopped" {
            object["reason"] = ["text": text]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// `POST /v1/links` as the platform calls it; returns the token of `/rebind link <token>`.
    func linkToken(user: String, name: String = "j***@example.com", id: String, via client: some TestClientProtocol) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["user_id": user, "display_name": name])
        let response = try await client.execute(
            uri: "/v1/links",
            method: .post,
            headers: env.signedHeaders(id: id, body: body),
            body: ByteBuffer(data: body)
        )
        #expect(response.status == .created)
        let command = try #require(response.json["slack_command"] as? String)
        #expect(command.hasPrefix("/rebind link "))
        return String(command.dropFirst("/rebind link ".count))
    }

    // MARK: Slack's side: requests as Slack sends them

    /// Slack's signing headers for `body`, sent now (or at `date`) on the application's clock.
    func slackHeaders(body: Data, at date: Date? = nil, contentType: String) -> HTTPFields {
        var headers: HTTPFields = [.contentType: contentType]
        let timestamp = Int64((date ?? env.clock.now).timeIntervalSince1970)
        for (name, value) in SlackSignature.headers(timestamp: timestamp, body: body, signingSecret: Self.signingSecret) {
            headers[HTTPField.Name(name)!] = value
        }
        return headers
    }

    static let formType = "application/x-www-form-urlencoded"

    /// Posts `body` to a Slack endpoint with `headers` as they are.
    func post(_ path: String, body: Data, headers: HTTPFields, via client: some TestClientProtocol) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(data: body))
    }

    /// An Events API body, JSON, signed; a retry carries `X-Slack-Retry-Num` as Slack's do.
    func postEvent(_ body: Data, retryNum: Int? = nil, via client: some TestClientProtocol) async throws -> TestResponse {
        var headers = slackHeaders(body: body, contentType: "application/json")
        if let retryNum {
            headers[HTTPField.Name("X-Slack-Retry-Num")!] = String(retryNum)
            headers[HTTPField.Name("X-Slack-Retry-Reason")!] = "http_timeout"
        }
        return try await post("/v1/slack/events", body: body, headers: headers, via: client)
    }

    func postEvent(_ callback: SlackEventCallback, retryNum: Int? = nil, via client: some TestClientProtocol) async throws -> TestResponse {
        try await postEvent(try JSONEncoder().encode(callback), retryNum: retryNum, via: client)
    }

    /// An interactivity payload (`block_actions`, `view_submission`), form-encoded in `payload=`, signed.
    func postInteraction(_ payload: some Encodable, via client: some TestClientProtocol) async throws -> TestResponse {
        let body = try FakeSlackServer.interactivityBody(payload)
        return try await post("/v1/slack/interactivity", body: body, headers: slackHeaders(body: body, contentType: Self.formType), via: client)
    }

    /// A slash command, form-encoded, signed.
    func postCommand(_ command: SlackSlashCommand, via client: some TestClientProtocol) async throws -> TestResponse {
        let body = command.form.encoded
        return try await post("/v1/slack/commands", body: body, headers: slackHeaders(body: body, contentType: Self.formType), via: client)
    }

    // MARK: The user's side

    /// The user writes in the DM; waits for the bot's next `replies` messages there.
    @discardableResult
    func userWrites(
        _ text: String,
        user: String = userID,
        replies: Int,
        via client: some TestClientProtocol,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [FakeSlackServer.Message] {
        try await expectingReplies(replies, user: user, sourceLocation: sourceLocation) {
            let response = try await postEvent(slack.userWrites(text, user: user), via: client)
            #expect(response.status == .ok, sourceLocation: sourceLocation)
        }
    }

    /// The user types `/rebind <text>`; returns Slack's immediate (ephemeral) answer's text and
    /// the bot's next `replies` messages in the DM.
    @discardableResult
    func userTypes(
        _ text: String,
        user: String = userID,
        replies: Int,
        via client: some TestClientProtocol,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (ephemeral: String?, messages: [FakeSlackServer.Message]) {
        var ephemeral: String?
        let messages = try await expectingReplies(replies, user: user, sourceLocation: sourceLocation) {
            let response = try await postCommand(slack.userTypesCommand(text, user: user), via: client)
            #expect(response.status == .ok, sourceLocation: sourceLocation)
            ephemeral = response.json["text"] as? String
        }
        return (ephemeral, messages)
    }

    /// The user types `/rebind link <token>` and presses Confirm under the question; returns
    /// the `replies` messages that follow the press.
    func confirmLink(
        _ token: String,
        user: String = userID,
        replies: Int,
        via client: some TestClientProtocol
    ) async throws -> [FakeSlackServer.Message] {
        let question = try #require(try await userTypes("link \(token)", user: user, replies: 1, via: client).messages.only)
        let press = try #require(slack.userPresses(actionID: SlackMessenger.confirmActionID, inMessage: question.ts, channel: question.channel))
        return try await expectingReplies(replies, user: user) {
            let response = try await postInteraction(press, via: client)
            #expect(response.status == .ok)
        }
    }

    /// The user presses "Update API key" under the bot's message `ts`; returns the answer.
    func userPressesUpdate(on message: FakeSlackServer.Message, via client: some TestClientProtocol) async throws -> TestResponse {
        let press = try #require(slack.userPresses(actionID: SlackMessenger.updateActionID, inMessage: message.ts, channel: message.channel))
        return try await postInteraction(press, via: client)
    }

    /// The user submits the key form `viewID` with these values (by block id); returns
    /// Slack's answer as JSON.
    func userSubmits(viewID: String, _ values: [String: String], via client: some TestClientProtocol) async throws -> [String: Any] {
        let submission = try #require(slack.userSubmits(viewID: viewID, values: values.mapValues { ["value": $0] }))
        let response = try await postInteraction(submission, via: client)
        #expect(response.status == .ok)
        return response.json
    }

    /// Runs `act`, then waits until the bot has posted `replies` more messages in the user's
    /// DM, and returns those.
    func expectingReplies(
        _ replies: Int,
        user: String = userID,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ act: () async throws -> Void
    ) async throws -> [FakeSlackServer.Message] {
        let before = botMessages(user: user).count
        try await act()
        let arrived = await waitUntil { botMessages(user: user).count >= before + replies }
        #expect(arrived, "the bot's \(replies) replies", sourceLocation: sourceLocation)
        return Array(botMessages(user: user).dropFirst(before))
    }

    /// Waits until every Slack request sent so far is handled: `/rebind help` is answered and
    /// no stored request is left unprocessed (one is marked processed only after its replies
    /// went out).
    func settle(user: String = userID, via client: some TestClientProtocol, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await userTypes("help", user: user, replies: 1, via: client, sourceLocation: sourceLocation)
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !sqlite.pendingUpdates(after: 0, limit: 1).isEmpty {
            guard ContinuousClock.now < deadline else {
                Issue.record("Slack requests still unprocessed", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: Inspection

    /// The bot's messages in the user's DM, oldest first.
    func botMessages(user: String = userID) -> [FakeSlackServer.Message] {
        slack.directChannel(user: user).map { slack.messages(inChannel: $0) } ?? []
    }

    /// Every argument of every Web API call Rebind made, as JSON text.
    func everythingSentToSlack() -> [String] {
        slack.calls().map { call in
            let data = (try? JSONEncoder().encode(call.arguments)) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Waits, checking as the fakes record calls, until `condition` holds or `timeout` passes;
    /// returns whether it held.
    func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// The text of a message, its sections included (what the user sees).
    static func shown(_ message: FakeSlackServer.Message) -> String {
        ([message.text] + message.sectionTexts).joined(separator: "\n")
    }
}
