import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// Every way the key update can be refused or cut short, over real HTTP with the fakes: what
/// the user is told, what is deleted, and that nothing reaches the platform or is kept.
@Suite("Telegram key update refusals")
struct TelegramRefusalTests {
    /// A world with a `robot.paused` event on `exchange` delivered and the key flow started.
    static func started(
        _ options: ChatWorld.Options = ChatWorld.Options(),
        exchange: String = "binance",
        _ body: @escaping @Sendable (ChatWorld, any TestClientProtocol) async throws -> Void
    ) async throws {
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(exchange: exchange), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let ask = try await world.userSends("/update", replies: 1, via: client)
            #expect(ask.first?.text.contains("API Key") == true)
            try await body(world, client)
        }
        try await world.shutdown()
    }

    @Test("A secret pasted where the key is asked for is deleted and the key asked for again, precisely")
    func badPaste() async throws {
        try await Self.started(exchange: "okx") { world, client in
            let reask = try #require(try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client).only)
            #expect(reask.text.contains("This looks like the secret, not the key: send the API key first."))
            #expect(world.deletedTexts() == [FakeOKXServer.secret.value])

            // A Binance-length paste of the wrong shape for the secret, then a passphrase too short.
            try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            let lower = try #require(try await world.userSends(FakeOKXServer.secret.value.lowercased(), replies: 1, via: client).only)
            #expect(lower.text.contains("written in capitals"))
            try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client)
            let short = try #require(try await world.userSends("short", replies: 1, via: client).only)
            #expect(short.text.contains("8–32 characters; this has 5"))
            // Every message of the flow was deleted; none reached the exchange.
            #expect(world.deletedTexts().count == 5)
            #expect(world.okx.requests().isEmpty)

            // The flow goes on from where the paste was refused.
            let done = try await world.userSends(FakeOKXServer.passphrase.value, replies: 3, via: client)
            #expect(done.last?.text.contains("has the new key") == true)
        }
    }

    @Test("A withdraw-enabled key is refused and explained; the flow asks for a new key and the platform receives nothing")
    func withdrawEnabled() async throws {
        var options = ChatWorld.Options()
        options.binance = .withdrawEnabledKey
        try await Self.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(replies.first?.contains("Checking the key with Binance") == true)
            #expect(replies.dropFirst().first?.contains("does not have the permissions a robot needs") == true)
            #expect(replies.dropFirst().first?.contains("can withdraw funds") == true)
            #expect(replies.last?.contains("send me its API Key") == true)
            #expect(world.platform?.deliveries().isEmpty == true)
            #expect(try await world.storedCredentials().isEmpty)
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).count == 1)

            // Still in the flow, waiting for a key: the next paste is taken as one.
            let again = try #require(try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client).only)
            #expect(again.text.contains("Secret Key"))
        }
    }

    @Test("A wrong OKX passphrase is refused by OKX and asked for again; the right one then binds the key")
    func wrongPassphrase() async throws {
        try await Self.started(exchange: "okx") { world, client in
            try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client)
            let refused = try await world.userSends("Not-The-Passphrase-1", replies: 3, via: client).map(\.text)
            #expect(refused[1].contains("The passphrase does not match this key"))
            #expect(refused[1].contains("50105"))
            #expect(refused[2].contains("Passphrase"))
            #expect(world.platform?.deliveries().isEmpty == true)
            // OKX really was asked, with the wrong passphrase.
            #expect(world.okx.requests().contains { $0.header("OK-ACCESS-PASSPHRASE") == "Not-The-Passphrase-1" })

            let accepted = try await world.userSends(FakeOKXServer.passphrase.value, replies: 3, via: client)
            #expect(accepted.last?.text.contains("has the new key") == true)
            let applied = try #require(world.platform?.appliedUpdates().only)
            #expect(applied.credentials.passphrase == FakeOKXServer.passphrase.value)
            #expect(world.deletedTexts().contains("Not-The-Passphrase-1"))
        }
    }

    @Test("An exchange that does not answer in time: the user is told it could not be asked, and nothing is kept")
    func exchangeTimeout() async throws {
        var options = ChatWorld.Options()
        options.binance = .hang
        options.checkTimeout = 0.5
        try await Self.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 2, via: client).map(\.text)
            #expect(replies.last?.contains("Binance could not be reached, so the key was not checked") == true)
            #expect(replies.last?.contains("/update") == true)
            #expect(world.binance.requests().count == 1)
            #expect(world.platform?.deliveries().isEmpty == true)
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)
            #expect(try await world.storedCredentials().isEmpty)
            // Not the key's fault: it does not count against the account's limit.
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).isEmpty)
        }
    }

    @Test("/cancel mid-flow ends it and keeps nothing")
    func cancel() async throws {
        try await Self.started(exchange: "okx") { world, client in
            try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client)
            #expect(try await world.hasConversation())
            let cancelled = try #require(try await world.userSends("/cancel", replies: 1, via: client).only)
            #expect(cancelled.text.contains("Cancelled. Nothing was kept."))
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)
            #expect(try await world.storedCredentials().isEmpty)
            #expect(world.platform?.deliveries().isEmpty == true)
            #expect(world.okx.requests().isEmpty)

            // The passphrase sent now starts nothing, and is deleted all the same.
            let after = try #require(try await world.userSends(FakeOKXServer.passphrase.value, replies: 1, via: client).only)
            #expect(after.text.contains("/update"))
            #expect(world.deletedTexts().last == FakeOKXServer.passphrase.value)
            let again = try #require(try await world.userSends("/cancel", replies: 1, via: client).only)
            #expect(again.text.contains("no key update to cancel"))
        }
    }

    @Test("Ten idle minutes end the flow and discard what it collected")
    func idleExpiry() async throws {
        try await Self.started { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            #expect(try await world.hasConversation())
            let before = world.telegram.calls(method: "sendMessage").count
            world.env.clock.advance(by: 601)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: before + 1)
            let expired = try #require(world.botMessages().last)
            #expect(expired.text.contains("timed out after 10 minutes"))
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)

            // The secret sent late starts nothing and is deleted.
            let late = try #require(try await world.userSends(FakeBinanceServer.secret.value, replies: 1, via: client).only)
            #expect(late.text.contains("/update"))
            #expect(world.deletedTexts().last == FakeBinanceServer.secret.value)
            #expect(world.binance.requests().isEmpty)
        }
    }

    @Test("After 5 refused keys in an hour, the next check is refused without asking the exchange")
    func failedCheckLimit() async throws {
        var options = ChatWorld.Options()
        options.binance = .withdrawEnabledKey
        try await Self.started(options) { world, client in
            for _ in 1...5 {
                try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
                let refused = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
                #expect(refused[1].text.contains("can withdraw funds"))
            }
            #expect(world.binance.checks() == 5)

            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let limited = try await world.userSends(FakeBinanceServer.secret.value, replies: 2, via: client)
            #expect(limited.last?.text.contains("Too many keys were refused for this account in the last hour") == true)
            #expect(limited.last?.text.contains("Home → API Binding → Edit") == true)
            #expect(world.binance.checks() == 5)

            // A new attempt is refused at once, before any secret is asked for.
            let refusedAtOnce = try #require(try await world.userSends("/update", replies: 1, via: client).only)
            #expect(refusedAtOnce.text.contains("Too many keys"))
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)

            // An hour after the first refusal, checks are allowed again.
            world.env.clock.advance(by: 3601)
            let ask = try #require(try await world.userSends("/update", replies: 1, via: client).only)
            #expect(ask.text.contains("API Key"))
        }
    }

    @Test("A permanent refusal by the platform tells the user to finish on the web")
    func platformRefuses() async throws {
        var options = ChatWorld.Options()
        options.platform = .refuse()
        try await Self.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(replies[1].contains("works for trading"))
            #expect(replies[2].contains("did not accept the key from here"))
            #expect(replies[2].contains("Home → API Binding → Edit"))
            let delivery = try #require(world.platform?.deliveries().only)
            #expect(delivery.status == 422)
            try await world.settle(via: client)
            #expect(try await world.hasConversation() == false)
            // The refused key is not kept, nor shown as bound.
            #expect(try await world.storedCredentials().isEmpty)
            #expect(try await world.sqlite.bindings(ofUser: "u_1001").isEmpty)
        }
    }

    @Test("When Telegram refuses to delete a pasted message, the user is told to delete it")
    func deletionRefused() async throws {
        try await Self.started { world, client in
            world.telegram.refuseDeletions(inChat: ChatWorld.chatID)
            let replies = try await world.userSends(FakeBinanceServer.apiKey, replies: 2, via: client).map(\.text)
            #expect(replies.first?.contains("couldn't delete your message") == true)
            #expect(replies.first?.contains("delete it yourself") == true)
            #expect(replies.last?.contains("Secret Key") == true)
            #expect(world.deletedTexts().isEmpty)
            // The message is still in the chat, as Telegram left it.
            #expect(world.telegram.messages(inChat: ChatWorld.chatID).contains { !$0.fromBot && $0.text == FakeBinanceServer.apiKey })
        }
    }

    @Test("A tap on \"Update API key\" in a group chat starts no key flow there")
    func groupChat() async throws {
        let world = try await ChatWorld.start()
        let group: Int64 = -1_001_234_567_890
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(chatID: group), id: "msg_g1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let guidance = try #require(world.botMessages(chatID: group).only)
            let button = try #require(guidance.callbackData.first { $0.hasPrefix("u:") })
            let reply = try #require(try await world.userTaps(button, on: guidance.messageID, chatID: group, replies: 1, via: client).only)
            #expect(reply.text.contains("only in a private chat"))
            #expect(world.telegram.unansweredCallbackQueries().isEmpty)
            try await world.settle(chatID: 1, via: client)
            #expect(try await world.sqlite.conversation(chat: ChatAddress(channel: .telegram, id: String(group))) == nil)
        }
        try await world.shutdown()
    }

    @Test("A futures robot's key must trade futures: a spot-only key is refused and explained, one with futures is taken")
    func futuresRobot() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(market: "futures"), id: "msg_f1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            // The fake's working key may trade spot only.
            let refused = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(refused[1].contains("does not have the permissions a robot needs"))
            #expect(refused[1].lowercased().contains("futures"))
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()

        // The same robot with a key that may trade futures goes through.
        var options = ChatWorld.Options()
        options.binance = .futuresKey
        let second = try await ChatWorld.start(options)
        try await second.application().test(.live) { client in
            try await second.sendEvent(ChatWorld.event(market: "futures"), id: "msg_f2", via: client)
            _ = await second.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await second.userSends("/update", replies: 1, via: client)
            try await second.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let accepted = try await second.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(accepted.last?.contains("has the new key") == true)
        }
        try await second.shutdown()
    }
}
