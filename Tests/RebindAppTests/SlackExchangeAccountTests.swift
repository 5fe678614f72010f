import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// The same exchange account on Slack: the key form's key is refused when it belongs to another
/// exchange account than the one the platform's event names.
@Suite("Slack: the same exchange account")
struct SlackExchangeAccountTests {
    @Test("A form holding another exchange account's key is refused with its own reply, offered again, and nothing reaches the platform")
    func anotherAccountInTheForm() async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(exchangeUID: "111222333"), id: "msg_p1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let guidance = try #require(world.botMessages().only)
            _ = try await world.userPressesUpdate(on: guidance, via: client)
            let view = try #require(world.slack.views().only)
            let values = ["api_key": FakeBinanceServer.apiKey, "api_secret": FakeBinanceServer.secret.value]
            let replies = try await world.expectingReplies(3) {
                _ = try await world.userSubmits(viewID: view.id, values, via: client)
            }
            let texts = replies.map(SlackWorld.shown)
            #expect(texts.contains { $0.hasPrefix("❌ This key belongs to *a different Binance account* from the one bound on uTrading.") })
            #expect(texts.last?.contains("to enter a key again") == true)
            #expect(world.platform?.deliveries().isEmpty == true)
            #expect(try await world.sqlite.failedChecks(accountID: "acc_42", since: .distantPast).count == 1)
        }
    }
}
