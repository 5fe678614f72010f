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
import RebindSimulator
import RebindTelegram
import Testing

/// The whole recovery over real HTTP: a signed event, the guidance on (fake) Telegram, the
/// guided key update, the (fake) exchange's check, the signed binding update to the (fake)
/// platform, and the resolution.
@Suite("Telegram, end to end")
struct TelegramEndToEndTests {
    static let chatID: Int64 = 123_456_789
    static let webhookSecret = "tg-webhook-secret_1"
    static let platformSecret = "whsec_" + Data(repeating: 42, count: 32).base64EncodedString()

    struct World {
        let env: TestEnvironment
        let telegram: FakeTelegramServer
        let binance: FakeBinanceServer
        let platform: FakePlatformServer
    }

    static func world(
        binance scenario: FakeBinanceServer.Scenario = .workingKey,
        platform behaviour: FakePlatformServer.Behaviour = .accept()
    ) async throws -> World {
        // A private chat takes a short burst of replies; pacing is tested on its own.
        let telegram = try await FakeTelegramServer.start(limits: .init(perChatPerSecond: 1, perChatBurst: 10))
        let binance = try await FakeBinanceServer.start(scenario)
        let platform = try await FakePlatformServer.start(secret: platformSecret, behaviour: behaviour)
        let env = try TestEnvironment(
            environment: [
                "REBIND_TELEGRAM_BOT_TOKEN": telegram.token.value, "REBIND_TELEGRAM_WEBHOOK_SECRET": webhookSecret,
                "REBIND_TELEGRAM_API_URL": telegram.baseURL, "REBIND_GROUP_WAIT_SECONDS": "0",
                "REBIND_PLATFORM_URL": platform.url, "REBIND_PLATFORM_SECRET": platformSecret,
                "REBIND_BINANCE_API_URL": binance.baseURL,
            ],
            chat: { configuration, store in
                let transport = try CurlTransport(configuration: .init(timeout: 5))
                let client = try TelegramClient(baseURL: telegram.baseURL, token: telegram.token, transport: transport)
                return ChatDependencies(
                    store: store,
                    telegram: client,
                    verifiers: ["binance": BinanceKeyVerifier(baseURL: binance.baseURL, transport: transport)],
                    publisher: PlatformBindingPublisher(
                        url: platform.url,
                        secret: try WebhookSecret(platformSecret, variable: "T"),
                        transport: transport
                    ),
                    envelope: SecretEnvelope(
                        current: try SecretEnvelope.Key(base64: Secret(Data(repeating: 9, count: 32).base64EncodedString()), variable: "T")
                    ),
                    idleWait: .milliseconds(20)
                )
            }
        )
        return World(env: env, telegram: telegram, binance: binance, platform: platform)
    }

    static func post(_ update: TelegramUpdate, to client: some TestClientProtocol, secret: String = webhookSecret) async throws -> HTTPResponse.Status
    {
        let body = try JSONEncoder().encode(update)
        return try await client.execute(
            uri: "/v1/telegram/webhook",
            method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!: secret],
            body: ByteBuffer(data: body)
        ).status
    }

    static func sendEvent(_ body: Data, id: String, env: TestEnvironment, client: some TestClientProtocol) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v1/events", method: .post, headers: env.signedHeaders(id: id, body: body), body: ByteBuffer(data: body))
            .status
    }

    @Test("Paused robot → one guidance message → /update → key and secret, each deleted → checked → signed binding update → resumed → resolved")
    func happyPath() async throws {
        let world = try await Self.world()
        let telegram = world.telegram
        try await world.env.application().test(.live) { client in
            #expect(try await Self.sendEvent(TestEnvironment.event(), id: "msg_1", env: world.env, client: client) == .accepted)
            let guidance = await telegram.waitForCalls(method: "sendMessage", count: 1)
            #expect(guidance.count == 1)
            let first = try #require(telegram.messages(inChat: Self.chatID).first)
            #expect(first.text.contains("BTC/USDT Grid rb_7"))
            #expect(first.callbackData.contains { $0.hasPrefix("u:") })

            // The button starts the flow, exactly as /update would.
            let tap = telegram.userTaps(
                chatID: Self.chatID,
                messageID: first.messageID,
                data: try #require(first.callbackData.first { $0.hasPrefix("u:") })
            )
            #expect(try await Self.post(tap, to: client) == .ok)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 2)
            #expect(telegram.unansweredCallbackQueries().isEmpty)

            let key = telegram.userSends(chatID: Self.chatID, text: FakeBinanceServer.apiKey)
            #expect(try await Self.post(key, to: client) == .ok)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 3)

            let secret = telegram.userSends(chatID: Self.chatID, text: " \(FakeBinanceServer.secret.value)\n")
            #expect(try await Self.post(secret, to: client) == .ok)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 6)

            // Both pasted messages are gone from the chat.
            let deleted = telegram.deletedMessages(inChat: Self.chatID).map(\.text)
            #expect(deleted.contains(FakeBinanceServer.apiKey))
            #expect(deleted.contains { $0.contains(FakeBinanceServer.secret.value) })

            // The platform got a correctly signed update with exactly the pasted credentials.
            let applied = try #require(world.platform.appliedUpdates().only)
            #expect(applied.credentials.apiKey == FakeBinanceServer.apiKey)
            #expect(applied.credentials.apiSecret == FakeBinanceServer.secret.value)
            #expect(applied.accountID == "acc_42")
            #expect(applied.robotIDs == ["rb_7"])
            #expect(applied.verification.canTrade)

            // No message the bot sent holds a secret.
            let botTexts = telegram.messages(inChat: Self.chatID).filter(\.fromBot).map(\.text)
            #expect(!botTexts.contains { $0.contains(FakeBinanceServer.secret.value) })
            #expect(!botTexts.contains { $0.contains(FakeBinanceServer.apiKey) })

            // The robot comes back: the first message is edited to resolved.
            #expect(try await Self.sendEvent(TestEnvironment.event(type: "robot.resumed"), id: "msg_2", env: world.env, client: client) == .accepted)
            _ = await telegram.waitForCalls(method: "editMessageText", count: 1)
            let edited = try #require(telegram.messages(inChat: Self.chatID).first { $0.messageID == first.messageID })
            #expect(edited.text != first.text)
            #expect(edited.callbackData.isEmpty)
        }
        // Nothing of the secret in the database's bytes.
        let files = try FileManager.default.contentsOfDirectory(at: world.env.directory, includingPropertiesForKeys: nil)
        for file in files {
            let bytes = try Data(contentsOf: file)
            #expect(bytes.range(of: Data(FakeBinanceServer.secret.value.utf8)) == nil, "\(file.lastPathComponent)")
        }
        try await world.telegram.shutdown()
    }

    @Test("Remind me later answers the tap and sends the guidance again an hour later")
    func remindLater() async throws {
        let world = try await Self.world()
        let telegram = world.telegram
        try await world.env.application().test(.live) { client in
            _ = try await Self.sendEvent(TestEnvironment.event(), id: "msg_1", env: world.env, client: client)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 1)
            let first = try #require(telegram.messages(inChat: Self.chatID).first)
            let later = try #require(first.callbackData.first { $0.hasPrefix("l:") })
            let status = try await Self.post(telegram.userTaps(chatID: Self.chatID, messageID: first.messageID, data: later), to: client)
            #expect(status == .ok)
            _ = await telegram.waitForCalls(method: "answerCallbackQuery", count: 1)
            #expect(telegram.callbackAnswers().first?.text == "OK, I'll remind you in an hour.")
            #expect(telegram.calls(method: "sendMessage").count == 1)
            // Tapped again a minute later: the one reminder moves, no second one is added.
            world.env.clock.advance(by: 60)
            let again = try await Self.post(telegram.userTaps(chatID: Self.chatID, messageID: first.messageID, data: later), to: client)
            #expect(again == .ok)
            _ = await telegram.waitForCalls(method: "answerCallbackQuery", count: 2)

            world.env.clock.advance(by: 3601)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 2)
            let messages = telegram.messages(inChat: Self.chatID).filter(\.fromBot)
            #expect(messages.count == 2)
            #expect(messages.last?.text.contains("BTC/USDT Grid rb_7") == true)
            // Nothing else is due: a third message would have come with the second tap's reminder.
            world.env.clock.advance(by: 3601)
            #expect(await telegram.waitForCalls(method: "sendMessage", count: 3, timeout: .seconds(1)).count == 2)
        }
        try await world.telegram.shutdown()
    }

    @Test("A stranger's chat cannot update someone else's account")
    func stranger() async throws {
        let world = try await Self.world()
        let telegram = world.telegram
        try await world.env.application().test(.live) { client in
            _ = try await Self.sendEvent(TestEnvironment.event(), id: "msg_1", env: world.env, client: client)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 1)
            let stranger: Int64 = 999
            #expect(try await Self.post(telegram.userSends(chatID: stranger, text: "/update acc_42"), to: client) == .ok)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 2)
            let reply = try #require(telegram.messages(inChat: stranger).last { $0.fromBot })
            #expect(reply.text.contains("not linked"))
            // Even pasting a key there starts nothing.
            #expect(try await Self.post(telegram.userSends(chatID: stranger, text: FakeBinanceServer.apiKey), to: client) == .ok)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 3)
            #expect(world.platform.deliveries().isEmpty)
        }
        try await world.telegram.shutdown()
    }

    @Test("A webhook call without the secret token is refused and stores nothing")
    func webhookSecret() async throws {
        let world = try await Self.world()
        try await world.env.application().test(.live) { client in
            let update = world.telegram.userSends(chatID: Self.chatID, text: "/help")
            let refused = try await Self.post(update, to: client, secret: "wrong")
            #expect(refused == .unauthorized)
            let accepted = try await Self.post(update, to: client)
            #expect(accepted == .ok)
            // The same update_id again is a duplicate: answered, not processed twice.
            let repeated = try await Self.post(update, to: client)
            #expect(repeated == .ok)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
        }
        #expect(world.telegram.calls(method: "sendMessage").count == 1)
        try await world.telegram.shutdown()
    }
}

extension Array {
    var only: Element? { count == 1 ? first : nil }
}
