import Foundation
import RebindCore
import RebindSimulator
import RebindTelegram
import Testing

@Suite("getUpdates long polling against the fake")
struct TelegramLongPollingTests {
    static let chat: Int64 = 31_337

    @Test("queued updates come back at once, and an offset confirms them")
    func queuedUpdatesAndOffset() async throws {
        // The fake's clock stands still: a poll answered at all was answered without waiting.
        try await FakeTelegramServer.withServer(clock: FakeTelegramServer.ManualClock()) { fake in
            let client = try client(of: fake)
            let first = fake.userSends(chatID: Self.chat, text: "/start abc")
            let second = fake.userSends(chatID: Self.chat, text: "/update")
            #expect(second.updateID == first.updateID + 1)

            let updates = try await client.getUpdates(TelegramGetUpdates(timeout: 30))
            #expect(updates == [first, second])
            #expect(updates.map { $0.message?.text } == ["/start abc", "/update"])

            // Not confirmed yet: asked again, the same updates come back.
            #expect(try await client.getUpdates(TelegramGetUpdates(timeout: 0)) == [first, second])
            // An offset past the first confirms it.
            #expect(try await client.getUpdates(TelegramGetUpdates(offset: first.updateID + 1, timeout: 0)) == [second])
            #expect(try await client.getUpdates(TelegramGetUpdates(offset: second.updateID + 1, timeout: 0)) == [])
            #expect(fake.pendingUpdates().isEmpty)

            let body = try #require(jsonObject(fake.calls(method: "getUpdates").first?.body))
            #expect(body["timeout"] as? Int == 30)
            #expect(body["allowed_updates"] as? [String] == ["message", "callback_query"])
        }
    }

    @Test("a waiting poll is answered as soon as an update arrives")
    func waitingPollWakesUp() async throws {
        // The poll's timeout never passes on the fake's clock: only the update can answer it.
        try await FakeTelegramServer.withServer(clock: FakeTelegramServer.ManualClock()) { fake in
            let client = try client(of: fake)
            async let polled = client.getUpdates(TelegramGetUpdates(timeout: 30))
            #expect(await fake.waitForWaitingPoll())
            let update = fake.userSends(chatID: Self.chat, text: "/status")
            #expect(try await polled == [update])
        }
    }

    @Test("a quiet poll returns no updates when its timeout passes, without failing")
    func quietPollTimesOut() async throws {
        let clock = FakeTelegramServer.ManualClock()
        try await FakeTelegramServer.withServer(clock: clock) { fake in
            // The client's own timeout is shorter than the poll: the request still gets the poll's time on top.
            let client = try client(of: fake, timeout: 1)
            let started = ContinuousClock.now
            async let polled = client.getUpdates(TelegramGetUpdates(timeout: 30))
            #expect(await fake.waitForWaitingPoll())
            // Past the client's own timeout in real time (a loaded machine only makes it later),
            // then the poll's 30 s pass on the fake's clock: the answer comes within the 31 s the
            // request was given.
            try await Task.sleep(until: started + .milliseconds(1500), clock: .continuous)
            clock.advance(by: 29)
            #expect(fake.calls(method: "getUpdates").last?.outcome == .pending)
            clock.advance(by: 1)
            #expect(try await polled == [])
            #expect(ContinuousClock.now - started >= .milliseconds(1500))
            #expect(fake.calls(method: "getUpdates").last?.status == 200)
        }
    }

    @Test("a callback query arrives as an update to answer")
    func callbackQueryUpdate() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let sent = try await client.sendMessage(
                TelegramSendMessage(chatID: Self.chat, text: "Paused", replyMarkup: .init(inlineKeyboard: [[.callback("Update", data: "u")]]))
            )
            let tap = fake.userTaps(chatID: Self.chat, messageID: sent.messageID, data: "u")
            let updates = try await client.getUpdates(TelegramGetUpdates(timeout: 0))
            #expect(updates == [tap])
            #expect(updates.first?.callbackQuery?.data == "u")
        }
    }

    @Test("getUpdates while a webhook is set is a 409 conflict")
    func webhookConflict() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            try await client.setWebhook(TelegramSetWebhook(url: "https://rebind.example/v1/telegram/webhook", secretToken: Secret("s")))
            let error = await #expect(throws: TelegramClient.Error.self) { try await client.getUpdates(TelegramGetUpdates(timeout: 0)) }
            #expect(error?.isConflict == true)
            #expect(error?.description.contains("can't use getUpdates method while webhook is active") == true)
            // Updates then go to the webhook, not the queue.
            fake.userSends(chatID: Self.chat, text: "hi")
            #expect(fake.pendingUpdates().isEmpty)

            try await client.deleteWebhook()
            #expect(try await client.getUpdates(TelegramGetUpdates(timeout: 0)) == [])
        }
    }

    @Test("a second concurrent poll terminates the first with a 409 conflict, as Telegram does")
    func concurrentPolls() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            func poll() async -> TelegramClient.Error? {
                do throws(TelegramClient.Error) {
                    _ = try await client.getUpdates(TelegramGetUpdates(timeout: 30))
                    return nil
                } catch {
                    return error
                }
            }
            async let first = poll()
            #expect(await fake.waitForWaitingPoll())
            async let second = client.getUpdates(TelegramGetUpdates(timeout: 30))
            guard let error = await first else {
                Issue.record("the first poll should have been terminated")
                return
            }
            #expect(error.isConflict)
            #expect(error.description.contains("terminated by other getUpdates request"))
            let update = fake.userSends(chatID: Self.chat, text: "/help")
            #expect(try await second == [update])
        }
    }
}
