import Foundation
import Hummingbird
import HummingbirdTesting
import RebindCore
import RebindSimulator
import Testing

/// Expiry warnings end to end (DESIGN §10): events over signed HTTP, the warnings through the
/// real Telegram client to the fake Bot API, the platform's copy to the fake platform, on a
/// clock the test moves.
@Suite("Expiry warnings end to end")
struct ExpiryWarningTests {
    static let day: TimeInterval = 86_400

    /// An `api_binding.created` event for an account bound `daysAgo` days before the test's start.
    static func created(
        user: String = "u_1001",
        chatID: Int64 = ChatWorld.chatID,
        account: String,
        exchange: String = "binance",
        label: String,
        daysAgo: Double,
        ipRestricted: Bool? = nil
    ) -> Data {
        var accountObject: [String: Any] = [
            "id": account, "exchange": exchange, "label": label, "api_key_hint": "h8A",
            "bound_at": Timestamp.format(TestEnvironment.start.addingTimeInterval(-daysAgo * day)),
        ]
        if let ipRestricted { accountObject["ip_restricted"] = ipRestricted }
        let object: [String: Any] = [
            "type": "api_binding.created", "occurred_at": Timestamp.format(TestEnvironment.start),
            "user": ["id": user, "locale": "en", "telegram_chat_id": chatID], "account": accountObject,
        ]
        return (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
    }

    /// Waits until the chat has `count` messages from the bot.
    static func waitForMessages(_ world: ChatWorld, chatID: Int64 = ChatWorld.chatID, count: Int) async -> [FakeTelegramServer.ChatMessage] {
        let deadline = ContinuousClock.now + .seconds(10)
        while world.botMessages(chatID: chatID).count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return world.botMessages(chatID: chatID)
    }

    /// Waits until the platform has `count` warnings: each is queued in the transaction that
    /// marks its warning sent, so the clock may then move past the warning's lease without the
    /// warning being claimed again.
    static func waitForPosted(_ world: ChatWorld, count: Int) async -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        while (world.platform?.expiringEvents().count ?? 0) < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return world.platform?.expiringEvents().count ?? 0
    }

    @Test("A 55-day-old Binance key is warned of at once, then at 3 and 1 days; an IP-restricted one never; the platform gets each signed")
    func schedule() async throws {
        var options = ChatWorld.Options()
        let clock = TestClock(TestEnvironment.start, running: true)
        options.clock = clock
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            #expect(try await world.sendEvent(Self.created(account: "acc_42", label: "Main", daysAgo: 55), id: "b1", via: client) == .accepted)
            #expect(
                try await world.sendEvent(Self.created(account: "acc_ip", label: "Fixed", daysAgo: 59, ipRestricted: true), id: "b2", via: client)
                    == .accepted
            )
            let first = await Self.waitForMessages(world, count: 1)
            #expect(first.count == 1)
            let warning = try #require(first.first)
            #expect(warning.text.contains("Your API key lapses soon"))
            #expect(warning.text.contains("Main (Binance), key …h8A: 5 days left, until 2026-12-01 09:30 UTC (60 days from binding)"))
            #expect(!warning.text.contains("Fixed"), "an IP-restricted key does not lapse")
            #expect(warning.callbackData.count == 1 && warning.callbackData[0].hasPrefix("u:"))

            // The platform hears of it, signed (the fake checks the signature), once.
            #expect(await Self.waitForPosted(world, count: 1) == 1)
            let posted = try #require(world.platform?.expiringEvents())
            #expect(posted.count == 1)
            #expect(posted.first?.event.accountID == "acc_42" && posted.first?.event.userID == "u_1001")
            #expect(posted.first?.event.daysLeft == 5 && posted.first?.event.source == "catalogue" && posted.first?.event.exchange == "binance")
            #expect(posted.first?.event.expiresAt == "2026-12-01T09:30:00Z")
            #expect(world.platform?.rejections().isEmpty == true)

            // Nothing more until the 3-day moment; then the 1-day one.
            try await Task.sleep(for: .milliseconds(300))
            #expect(world.botMessages().count == 1)
            clock.advance(by: 2 * Self.day)
            let second = await Self.waitForMessages(world, count: 2)
            #expect(second.count == 2 && second[1].text.contains("3 days left"))
            #expect(await Self.waitForPosted(world, count: 2) == 2)
            clock.advance(by: 2 * Self.day)
            let third = await Self.waitForMessages(world, count: 3)
            #expect(third.count == 3 && third[2].text.contains("1 day left"))
            #expect(await Self.waitForPosted(world, count: 3) == 3)
            clock.advance(by: 2 * Self.day)
            try await Task.sleep(for: .milliseconds(300))
            #expect(world.botMessages().count == 3, "none after expiry, none ever for the IP-restricted key")

            // /keys shows both, with where each date comes from.
            let keys = try await world.userSends("/keys", replies: 1, via: client)
            #expect(
                keys.first?.text.contains("Fixed (Binance), key …h8A: restricted to IP addresses, does not lapse") == true,
                "\(keys.first?.text ?? "")"
            )
            #expect(keys.first?.text.contains("Main (Binance), key …h8A: expired on 2026-12-01 (UTC)") == true)
        }
        try await world.shutdown()
    }

    @Test("Two accounts of one user due together get one message, a button per account; tapping one runs the key flow")
    func twoAccounts() async throws {
        var options = ChatWorld.Options()
        let clock = TestClock(TestEnvironment.start, running: true)
        options.clock = clock
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            // Both lapse in 10 days (a Binance key of 60 days bound 50 days ago, an OKX one of 30
            // bound 20 days ago): their 7-day moments are one moment.
            try await world.sendEvent(Self.created(account: "acc_1", label: "Main", daysAgo: 50), id: "b1", via: client)
            try await world.sendEvent(Self.created(account: "acc_2", exchange: "okx", label: "Side", daysAgo: 20), id: "b2", via: client)
            try await Task.sleep(for: .milliseconds(300))
            #expect(world.botMessages().isEmpty, "not due for 3 days")
            clock.advance(by: 3 * Self.day)
            let messages = await Self.waitForMessages(world, count: 1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(world.botMessages().count == 1, "one message for both")
            let warning = try #require(messages.first)
            #expect(warning.text.contains("Some of your API keys lapse soon"))
            #expect(warning.text.contains("Main (Binance)") && warning.text.contains("Side (OKX)"))
            #expect(warning.callbackData.count == 2)
            let buttons = (warning.replyMarkup?.inlineKeyboard ?? []).flatMap { $0 }.map(\.text)
            #expect(buttons == ["🔑 Update Main (Binance)", "🔑 Update Side (OKX)"])

            // The OKX account's button starts the same key flow, asking for that account's key.
            let okx = try #require(warning.callbackData.last)
            let asked = try await world.userTaps(okx, on: warning.messageID, replies: 1, via: client)
            #expect(asked.first?.text.contains("Let's replace the OKX API key for Side") == true)
            let next = try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            #expect(next.first?.text.contains("Now send its Secret Key") == true)
        }
        try await world.shutdown()
    }

    @Test("With the key form on, each account's Update button has Enter key securely beside it, opening the form for that account")
    func keyFormButtons() async throws {
        var options = ChatWorld.Options()
        let clock = TestClock(TestEnvironment.start, running: true)
        options.clock = clock
        options.publicURL = "https://rebind.example.com"
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(Self.created(account: "acc_1", label: "Main", daysAgo: 50), id: "b1", via: client)
            try await world.sendEvent(Self.created(account: "acc_2", exchange: "okx", label: "Side", daysAgo: 20), id: "b2", via: client)
            clock.advance(by: 3 * Self.day)
            let warning = try #require(await Self.waitForMessages(world, count: 1).first)
            let rows = (warning.replyMarkup?.inlineKeyboard ?? []).map { $0.map(\.text) }
            #expect(rows == [["🔑 Update Main (Binance)", "🔐 Enter key securely"], ["🔑 Update Side (OKX)", "🔐 Enter key securely"]])
            #expect(
                warning.webAppURLs == ["https://rebind.example.com/v1/keyform?account=acc_1", "https://rebind.example.com/v1/keyform?account=acc_2"]
            )
        }
        try await world.shutdown()
    }
}
