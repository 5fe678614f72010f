import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// The conversation side over real HTTP: the OKX key update, `/status`, `/help`, linking a
/// chat with `/start <token>`, and a restart in the middle of a key update.
@Suite("Telegram conversation")
struct TelegramConversationTests {
    static let day: TimeInterval = 86400

    @Test("OKX: key, secret and passphrase, each message deleted; the platform receives exactly those three")
    func okxHappyPath() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(account: "acc_77", exchange: "okx"), id: "msg_okx_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)

            let ask = try await world.userSends("/update", replies: 1, via: client)
            #expect(ask.first?.text.contains("OKX API key") == true)
            let afterKey = try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            #expect(afterKey.first?.text.contains("…4a90") == true)
            let afterSecret = try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client)
            #expect(afterSecret.first?.text.contains("Passphrase") == true)
            let afterPassphrase = try await world.userSends(FakeOKXServer.passphrase.value, replies: 3, via: client)
            #expect(afterPassphrase.map(\.text).joined().contains("has the new key"))

            // All three pasted messages are gone from the chat.
            let deleted = world.deletedTexts()
            #expect(deleted == [FakeOKXServer.apiKey, FakeOKXServer.secret.value, FakeOKXServer.passphrase.value])
            #expect(!world.telegram.messages(inChat: ChatWorld.chatID).contains { !$0.fromBot && $0.text != "/update" })

            // The platform got exactly the pasted credentials, passphrase included.
            let applied = try #require(world.platform?.appliedUpdates().only)
            #expect(applied.exchange == "okx")
            #expect(applied.accountID == "acc_77")
            #expect(applied.robotIDs == ["rb_7"])
            #expect(applied.credentials.apiKey == FakeOKXServer.apiKey)
            #expect(applied.credentials.apiSecret == FakeOKXServer.secret.value)
            #expect(applied.credentials.passphrase == FakeOKXServer.passphrase.value)
            #expect(applied.verification.canTrade && !applied.verification.canWithdraw)

            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)
            // Kept sealed once the platform has it.
            #expect(try await world.storedCredentials() == ["acc_77"])
        }
        try await world.shutdown()
    }

    @Test("Without a platform, the checked key is kept sealed and the user is told to enter it on the web too")
    func standalone() async throws {
        var options = ChatWorld.Options()
        options.platform = nil
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_s1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            #expect(replies.last?.text.contains("stored encrypted") == true)
            #expect(replies.last?.text.contains("Home → API Binding → Edit") == true)
            try await world.settle(via: client)
            #expect(try await world.storedCredentials() == ["acc_42"])
            #expect(try await world.hasConversation() == false)
        }
        try await world.shutdown()
    }

    @Test("/help explains what Rebind does and lists the commands")
    func help() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            let reply = try #require(try await world.userSends("/help", replies: 1, via: client).only)
            #expect(reply.text.contains("uTrading"))
            for command in ["/update", "/keys", "/language", "/cancel", "/help"] {
                #expect(reply.text.contains(command), "\(command)")
            }
        }
        try await world.shutdown()
    }

    @Test("/status lists each bound account with its key's last characters and the days left")
    func status() async throws {
        let world = try await ChatWorld.start()
        let start = TestEnvironment.start
        try await world.application().test(.live) { client in
            // Bound 20 and 10 days ago: Binance keys last 60 days, OKX keys 30 (the catalogue).
            try await world.sendEvent(
                ChatWorld.event(type: "api_binding.created", boundAt: Timestamp.format(start - 20 * Self.day)),
                id: "msg_b1",
                via: client
            )
            try await world.sendEvent(
                ChatWorld.event(
                    type: "api_binding.created",
                    account: "acc_77",
                    exchange: "okx",
                    label: "Alt",
                    keyHint: "Q9z",
                    boundAt: Timestamp.format(start - 10 * Self.day)
                ),
                id: "msg_b2",
                via: client
            )
            // Bound 61 days ago: expired.
            try await world.sendEvent(
                ChatWorld.event(
                    type: "api_binding.created",
                    account: "acc_99",
                    label: "Old",
                    keyHint: "zz9",
                    boundAt: Timestamp.format(start - 61 * Self.day)
                ),
                id: "msg_b3",
                via: client
            )

            let status = try #require(try await world.userSends("/status", replies: 1, via: client).only)
            let lines = status.text.split(separator: "\n").map(String.init)
            #expect(lines.contains("• Main (Binance), key …h8A: 40 days left (until 2027-01-05 UTC, 60 days from binding)"), "\(lines)")
            #expect(lines.contains("• Alt (OKX), key …Q9z: 20 days left (until 2026-12-16 UTC, 30 days from binding)"), "\(lines)")
            #expect(lines.contains("• Old (Binance), key …zz9: expired on 2026-11-25 (UTC)"), "\(lines)")

            // A key replaced here: the check found it restricted to IP addresses (the fake's
            // working key), so it does not lapse (DESIGN §10).
            try await world.userSends("/update acc_42", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            let after = try #require(try await world.userSends("/status", replies: 1, via: client).only)
            #expect(after.text.contains("• Main (Binance), key …Eh8A: restricted to IP addresses, does not lapse"), "\(after.text)")
        }
        try await world.shutdown()

        var options = ChatWorld.Options()
        options.binance = .unrestrictedKey
        let unrestricted = try await ChatWorld.start(options)
        try await unrestricted.application().test(.live) { client in
            try await unrestricted.sendEvent(ChatWorld.event(type: "api_binding.created"), id: "msg_b1", via: client)
            try await unrestricted.userSends("/update", replies: 1, via: client)
            try await unrestricted.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            try await unrestricted.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            let status = try #require(try await unrestricted.userSends("/status", replies: 1, via: client).only)
            #expect(status.text.contains("• Main (Binance), key …Eh8A: 30 days left (until "), "\(status.text)")
            #expect(status.text.contains(", as Binance says)"), "\(status.text)")
        }
        try await unrestricted.shutdown()
    }

    @Test("/status in a chat that is not linked says so")
    func statusUnlinked() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            let reply = try #require(try await world.userSends("/status", chatID: 4242, replies: 1, via: client).only)
            #expect(reply.text.contains("not linked"))
        }
        try await world.shutdown()
    }

    @Test("POST /v1/links answers a single-use t.me link; /start asks, Confirm links the chat; waiting and later guidance reach it")
    func linking() async throws {
        let world = try await ChatWorld.start()
        let linkedChat: Int64 = 5_550_001
        try await world.application().test(.live) { client in
            // An event for a user the platform knows no chat of: its guidance waits.
            try await world.sendEvent(ChatWorld.event(user: "u_2002", chatID: nil, account: "acc_5"), id: "msg_l1", via: client)

            let body = Data(#"{"user_id":"u_2002","display_name":"j***@example.com"}"#.utf8)
            let response = try await client.execute(
                uri: "/v1/links",
                method: .post,
                headers: world.env.signedHeaders(id: "link_1", body: body),
                body: ByteBuffer(data: body)
            )
            #expect(response.status == .created)
            let json = response.json
            let command = try #require(json["slack_command"] as? String)
            #expect(command.hasPrefix("/rebind link "))
            let token = String(command.dropFirst("/rebind link ".count))
            #expect(token.count >= 32 && token.count <= 64)
            #expect(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            #expect(json["telegram_url"] as? String == "https://t.me/\(FakeTelegramServer.botUsername)?start=\(token)")
            let expires = try #require((json["expires_at"] as? String).flatMap(Timestamp.parse))
            let expected = world.env.clock.now.addingTimeInterval(24 * 3600)
            #expect(abs(expires.timeIntervalSince(expected)) < 60)

            // A bad signature gets no link.
            var headers = world.env.signedHeaders(id: "link_2", body: body)
            headers[HTTPField.Name("webhook-signature")!] = "v1,AAAA"
            #expect(try await client.execute(uri: "/v1/links", method: .post, headers: headers, body: ByteBuffer(data: body)).status == .unauthorized)

            // Nothing could be sent yet: the user has no chat.
            #expect(world.telegram.calls(method: "sendMessage").isEmpty)

            // The user opens the link: the bot asks, naming the account; nothing is linked yet.
            let question = try #require(try await world.userSends("/start \(token)", chatID: linkedChat, replies: 1, via: client).only)
            #expect(question.text.contains("Link this chat to j***@example.com on uTrading?"))
            #expect(question.callbackData.count == 2)
            #expect(world.telegram.calls(method: "sendMessage").count == 1)
            // Confirm links it, and the waiting guidance arrives.
            let confirm = try #require(question.callbackData.first { $0.hasPrefix("c:") })
            #expect(!confirm.contains(token))
            let linked = try await world.userTaps(confirm, on: question.messageID, chatID: linkedChat, replies: 2, via: client)
            #expect(linked.contains { $0.text.contains("Linked: this chat now gets guidance for j***@example.com") })
            let guidance = try #require(linked.first { $0.text.contains("Grid rb_7") })
            #expect(guidance.callbackData.contains { $0.hasPrefix("u:") })

            // A later event for the user, without a chat id, goes to the linked chat.
            try await world.sendEvent(
                ChatWorld.event(user: "u_2002", chatID: nil, account: "acc_6", robot: "rb_8"),
                id: "msg_l2",
                via: client
            )
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 4)
            #expect(world.botMessages(chatID: linkedChat).contains { $0.text.contains("Grid rb_8") })

            // The link works once.
            let stranger: Int64 = 5_550_002
            let reused = try #require(try await world.userSends("/start \(token)", chatID: stranger, replies: 1, via: client).only)
            #expect(reused.text.contains("unknown, used or expired"))
            let notLinked = try #require(try await world.userSends("/update", chatID: stranger, replies: 1, via: client).only)
            #expect(notLinked.text.contains("not linked"))
            // Confirm tapped again (or a stale question) spends nothing more.
            let again = try #require(try await world.userTaps(confirm, on: question.messageID, chatID: stranger, replies: 1, via: client).only)
            #expect(again.text.contains("unknown, used or expired"))
            // Nothing went to the stranger but those three answers.
            #expect(world.botMessages(chatID: stranger).count == 3)

            // The linked chat may update the user's accounts.
            let which = try #require(try await world.userSends("/update", chatID: linkedChat, replies: 1, via: client).only)
            #expect(which.text.contains("/update acc_5") && which.text.contains("/update acc_6"))
        }
        try await world.shutdown()
    }

    @Test("A restart between the key and the secret resumes the key update where it was")
    func restartMidConversation() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_r1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            let afterKey = try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            #expect(afterKey.first?.text.contains("Secret Key") == true)
        }
        #expect(try await world.hasConversation())

        // A new process on the same database file and envelope key.
        let restarted = try world.restarted()
        try await restarted.application().test(.live) { client in
            let replies = try await restarted.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            #expect(replies.map(\.text).contains { $0.contains("works for trading") })
            #expect(replies.last?.text.contains("has the new key") == true)
            let applied = try #require(restarted.platform?.appliedUpdates().only)
            #expect(applied.credentials.apiKey == FakeBinanceServer.apiKey)
            #expect(applied.credentials.apiSecret == FakeBinanceServer.secret.value)
            #expect(applied.robotIDs == ["rb_7"])
            #expect(restarted.deletedTexts() == [FakeBinanceServer.apiKey, FakeBinanceServer.secret.value])
        }
        try await world.shutdown()
    }

    @Test("A shutdown during the exchange check keeps the conversation; the next start checks the key and binds it")
    func restartDuringCheck() async throws {
        let stalled = StalledVerifier()
        var options = ChatWorld.Options()
        options.verifiers = ["binance": stalled]
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_c1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.secret.value, replies: 1, via: client)
            #expect(try await stalled.waitUntilCalled())
        }
        // The shutdown did not wait for the exchange, and told the user nothing false.
        #expect(try await world.hasConversation())
        #expect(!world.botMessages().contains { $0.text.contains("cancelled") || $0.text.contains("could not") })
        #expect(world.platform?.deliveries().isEmpty == true)

        let restarted = try world.restarted()
        let before = world.telegram.calls(method: "sendMessage").count
        try await restarted.application().test(.live) { client in
            // The check, the platform's answer and the last reply: a generous bound, for a
            // machine whose cores the whole test suite shares (10 s was once not enough in CI).
            let sent = await world.telegram.waitForCalls(method: "sendMessage", count: before + 3, timeout: .seconds(40))
            #expect(sent.count >= before + 3)
            let replies = world.botMessages().suffix(3).map(\.text)
            #expect(replies.first?.contains("Checking") == true)
            #expect(replies.last?.contains("has the new key") == true)
            let applied = try #require(restarted.platform?.appliedUpdates().only)
            #expect(applied.credentials.apiSecret == FakeBinanceServer.secret.value)
            try await restarted.settle(via: client)
            #expect(try await restarted.hasConversation() == false)
        }
        try await world.shutdown()
    }
}

/// An exchange that takes the request and never answers, until the check is cancelled.
final class StalledVerifier: KeyVerifier {
    let exchange = "binance"
    private let called: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init() {
        (called, signal) = AsyncStream.makeStream(of: Void.self)
    }

    func verify(_ credentials: ExchangeCredentials, context: KeyCheckContext) async throws(KeyCheckError) -> KeyVerdict {
        signal.yield()
        // Returns only when the task is cancelled: the stream never ends otherwise.
        let never = AsyncStream<Void> { _ in }
        for await _ in never {}
        throw .cancelled
    }

    /// Whether a check began within 10 seconds.
    func waitUntilCalled() async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [called] in
                for await _ in called { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
