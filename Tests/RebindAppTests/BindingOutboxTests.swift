import Foundation
import Hummingbird
import HummingbirdTesting
import RebindCore
import RebindSimulator
import Testing

/// The binding update goes to the platform through an outbox of its own: retried with backoff
/// while the platform is down, with the same webhook-id every time, given up after the time
/// limit, and delivered after a restart. And chats do not wait on each other.
@Suite("Binding update outbox and chat lanes")
struct BindingOutboxTests {
    @Test("A platform that answers 503 twice then takes the key: the user hears once that it is slow, then that it has the key")
    func retriedUntilAccepted() async throws {
        var options = ChatWorld.Options()
        options.platform = .failFirst(2, status: 503)
        try await TelegramRefusalTests.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 4, via: client).map(\.text)
            #expect(replies.count == 4)
            #expect(replies[1].contains("works for trading"))
            #expect(replies[2].contains("isn't answering yet"))
            #expect(replies[3].contains("has the new key"))
            let deliveries = try #require(world.platform?.deliveries())
            #expect(deliveries.map(\.status) == [503, 503, 202])
            // One update, three attempts: the platform can tell a retry from a new update.
            #expect(Set(deliveries.map(\.webhookID)).count == 1)
            let applied = try #require(world.platform?.appliedUpdates().only)
            #expect(applied.credentials.apiSecret == FakeBinanceServer.secret.value)
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)
            #expect(try await world.storedCredentials() == ["acc_42"])
        }
    }

    @Test("The platform's answer comes back through the chat's lane: the chat answers meanwhile, and the answer follows in turn")
    func answerThroughTheLane() async throws {
        var options = ChatWorld.Options()
        options.platform = .failFirst(1, status: 503)
        // The retry waits for the test's clock: the user writes in between, however slow the machine.
        let clock = TestClock(TestEnvironment.start, running: true)
        options.clock = clock
        options.bindingRetry = RetryPolicy(initialDelay: 30, maximumDelay: 30, giveUpAfter: 300)
        try await TelegramRefusalTests.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let checked = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(checked.last?.contains("isn't answering yet") == true, "\(checked)")
            // The binding update is on its way; the chat is not held by it.
            let help = try #require(try await world.userSends("/help", replies: 1, via: client).only)
            #expect(help.text.contains("I'm Rebind"))
            #expect(world.platform?.appliedUpdates().isEmpty == true)
            let sent = world.telegram.calls(method: "sendMessage").count
            clock.advance(by: 31)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: sent + 1)
            let texts = world.botMessages().map(\.text)
            let helpAt = try #require(texts.firstIndex { $0.contains("I'm Rebind") })
            let appliedAt = try #require(texts.firstIndex { $0.contains("has the new key") })
            #expect(helpAt < appliedAt)
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)
        }
    }

    @Test("A platform down past the time limit: the update is dead-lettered and counted, the user finishes on the web, nothing is kept")
    func deadLettered() async throws {
        var options = ChatWorld.Options()
        options.platform = .failFirst(10_000, status: 500)
        options.bindingRetry = RetryPolicy(initialDelay: 0.05, maximumDelay: 0.1, giveUpAfter: 0.6)
        try await TelegramRefusalTests.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 4, via: client).map(\.text)
            #expect(replies[2].contains("isn't answering yet"))
            #expect(replies[3].contains("did not accept the key from here"))
            #expect(replies[3].contains("Home → API Binding → Edit"))
            // Retried (a loaded machine may fit only one retry in the 0.6 s), never past the limit.
            let attempts = try #require(world.platform?.deliveries()).count
            #expect(attempts >= 2)
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)
            #expect(try await world.storedCredentials().isEmpty)
            let metrics = try await world.env.admin("/metrics")
            #expect(String(buffer: metrics.body).contains(#"rebind_binding_updates_total{result="dead"} 1"#))
            // Nothing more is sent once given up.
            try await world.settle(via: client)
            #expect(world.platform?.deliveries().count == attempts)
        }
    }

    @Test("A binding update queued when the process stops is delivered by the next one, with the same webhook-id")
    func deliveredAfterRestart() async throws {
        var options = ChatWorld.Options()
        options.platform = .failFirst(1, status: 503)
        // The first retry is due only when the test's clock says so, after the shutdown below,
        // however slow the machine.
        let clock = TestClock(TestEnvironment.start, running: true)
        options.clock = clock
        options.bindingRetry = RetryPolicy(initialDelay: 60, maximumDelay: 60, giveUpAfter: 600)
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_q1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(replies.last?.contains("isn't answering yet") == true)
        }
        #expect(world.platform?.deliveries().map(\.status) == [503])
        #expect(try await world.hasConversation())

        let restarted = try world.restarted(bindingRetry: options.bindingRetry)
        let before = world.telegram.calls(method: "sendMessage").count
        clock.advance(by: 61)
        try await restarted.application().test(.live) { client in
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: before + 1, timeout: .seconds(15))
            #expect(world.botMessages().last?.text.contains("has the new key") == true)
            let deliveries = try #require(restarted.platform?.deliveries())
            #expect(deliveries.map(\.status) == [503, 202])
            #expect(Set(deliveries.map(\.webhookID)).count == 1)
            try await restarted.settle(via: client)
            #expect(try await restarted.hasConversation() == false)
        }
        try await world.shutdown()
    }

    @Test("A conversation applying its key is never applied again: a restart after its update ended sends no second update")
    func neverAppliedTwice() async throws {
        var options = ChatWorld.Options()
        options.platform = .failFirst(1, status: 503)
        options.bindingRetry = RetryPolicy(initialDelay: 60, maximumDelay: 60, giveUpAfter: 600)
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_a1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
        }
        // The update ends while no process runs, and its answer never reaches the chat's lane
        // (as for an update that ended before lanes existed).
        let update = try #require(
            try await world.sqlite.claimBindingUpdates(now: world.env.clock.now.addingTimeInterval(120), limit: 10, leaseUntil: world.env.clock.now)
                .only
        )
        try await world.sqlite.endBindingUpdate(id: update.id, as: .delivered, error: nil, now: world.env.clock.now)
        #expect(try await world.hasConversation())

        let restarted = try world.restarted(bindingRetry: options.bindingRetry)
        let before = world.telegram.calls(method: "sendMessage").count
        try await restarted.application().test(.live) { client in
            // The restart resumes the conversation: it waits for an answer, and sends nothing.
            try await restarted.settle(via: client)
            #expect(try await restarted.hasConversation())
            // With no answer after the grace, the user finishes on the web; still one update.
            restarted.env.clock.advance(by: 1801)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: before + 2)
            #expect(world.botMessages().last?.text.contains("Please finish on the web") == true)
            try await restarted.settle(via: client)
            #expect(try await restarted.hasConversation() == false)
        }
        let deliveries = try #require(world.platform?.deliveries())
        #expect(deliveries.map(\.status) == [503])
        #expect(
            try await world.sqlite.claimBindingUpdates(now: world.env.clock.now.addingTimeInterval(3600), limit: 10, leaseUntil: world.env.clock.now)
                .isEmpty
        )
        try await world.shutdown()
    }

    @Test("/cancel after the key went to the platform says it can't be called back, and the result still arrives")
    func cancelTooLate() async throws {
        var options = ChatWorld.Options()
        options.platform = .failFirst(1, status: 503)
        options.bindingRetry = RetryPolicy(initialDelay: 3, maximumDelay: 3, giveUpAfter: 30)
        try await TelegramRefusalTests.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            let cancel = try #require(try await world.userSends("/cancel", replies: 1, via: client).only)
            #expect(cancel.text.contains("can't be called back"))
            let before = world.telegram.calls(method: "sendMessage").count
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: before + 1, timeout: .seconds(10))
            #expect(world.botMessages().last?.text.contains("has the new key") == true)
            #expect(world.platform?.appliedUpdates().count == 1)
        }
    }

    @Test("A key check that hangs in one chat does not hold up another chat")
    func chatsDoNotWaitForEachOther() async throws {
        let stalled = StalledVerifier()
        var options = ChatWorld.Options()
        options.verifiers = ["binance": stalled]
        try await TelegramRefusalTests.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.secret.value, replies: 1, via: client)
            #expect(try await stalled.waitUntilCalled())
            // The first chat is stuck in its check; a second chat is answered all the same.
            let other: Int64 = 5_550_003
            let help = try await world.userSends("/help", chatID: other, replies: 1, via: client)
            #expect(help.only?.text.contains("/update") == true)
            // And the first chat's own later messages wait their turn, in order, behind the check.
            #expect(try await world.hasConversation())
        }
    }
}
