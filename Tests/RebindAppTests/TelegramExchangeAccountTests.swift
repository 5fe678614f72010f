import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// A new key must belong to the same exchange account as the bound one (DESIGN §4), over real
/// HTTP with the fakes: the account's id from the platform's event, or from an earlier key.
@Suite("Telegram: the same exchange account")
struct TelegramExchangeAccountTests {
    @Test("A key of another exchange account than the event names is refused with its own reply; the platform receives nothing")
    func eventNamesTheAccount() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(exchangeUID: "111222333"), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            // The fake's key belongs to account 354937868, not the event's 111222333.
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(replies[0].contains("Checking the key with Binance"))
            #expect(replies[1].contains("This key belongs to a different Binance account from the one bound on uTrading"))
            #expect(replies[2].contains("send me its API Key"))
            #expect(world.binance.requests().map(\.pathWithoutQuery) == ["/sapi/v1/account/apiRestrictions", "/api/v3/account"])
            #expect(world.platform?.deliveries().isEmpty == true)
            #expect(try await world.storedCredentials().isEmpty)
            // A refusal like the others: counted, and every message that held a secret deleted.
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).count == 1)
            #expect(world.deletedTexts() == [FakeBinanceServer.apiKey, FakeBinanceServer.secret.value])

            // Still in the flow: a key of the right account is taken.
            world.binance.accountUID = 111_222_333
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let accepted = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            #expect(accepted.last?.text.contains("has the new key") == true)
            #expect(world.platform?.appliedUpdates().count == 1)
            #expect(try await world.sqlite.exchangeUID(accountID: "acc_42") == "111222333")
        }
        try await world.shutdown()
    }

    @Test("An accepted key's exchange account is remembered; a later key of another account is refused")
    func earlierKeyNamesTheAccount() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            // The platform does not say which exchange account: the first key is taken, and its account remembered.
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let first = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            #expect(first.last?.text.contains("has the new key") == true)
            #expect(try await world.sqlite.exchangeUID(accountID: "acc_42") == String(FakeBinanceServer.defaultAccountUID))

            // The same key now answers for another account.
            world.binance.accountUID = 900_000_001
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let second = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(second[1].contains("This key belongs to a different Binance account"))
            #expect(second[2].contains("send me its API Key"))
            // Only the first key reached the platform, and the remembered account is unchanged.
            #expect(world.platform?.appliedUpdates().count == 1)
            #expect(try await world.sqlite.exchangeUID(accountID: "acc_42") == String(FakeBinanceServer.defaultAccountUID))
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).count == 1)
        }
        try await world.shutdown()
    }

    @Test("In Chinese the refusal names the exchange as Chinese traders know it")
    func chinese() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(exchange: "okx", locale: "zh-CN", exchangeUID: "1"), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            try await world.userSends("/update", replies: 1, via: client)
            try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client)
            let replies = try await world.userSends(FakeOKXServer.passphrase.value, replies: 3, via: client).map(\.text)
            #expect(replies[1].contains("这个 Key 属于另一个欧易（OKX）账户"))
            #expect(world.platform?.deliveries().isEmpty == true)
        }
        try await world.shutdown()
    }
}
