import Foundation
import RebindCore
import Testing

@Suite("Guided key update, refusals and restarts")
struct KeyConversationRetryTests {
    let start = Date(timeIntervalSince1970: 1_795_685_400)
    let okx = ExchangeCredentials(
        apiKey: KeyConversationTests.okxKey,
        apiSecret: Secret(KeyConversationTests.okxSecret),
        passphrase: Secret("passphrase-1")
    )
    let binance = ExchangeCredentials(apiKey: KeyConversationTests.binanceKey, apiSecret: Secret(KeyConversationTests.binanceSecret))

    func checking(_ credentials: ExchangeCredentials, exchange: String) -> KeyConversation {
        KeyConversation(
            chat: ChatAddress(channel: .telegram, id: "1"),
            target: .init(userID: "u", accountID: "a", exchange: exchange, label: "Main"),
            step: .checking(credentials),
            lastActivityAt: start
        )
    }

    @Test("A wrong passphrase keeps the key and secret and asks for the passphrase again")
    func wrongPassphrase() {
        var flow = checking(okx, exchange: "okx")
        let actions = flow.handle(.checked(.refused(.passphraseWrong, "Enter it again")), now: start)
        #expect(actions == [.recordFailedCheck, .reply(.keyRefused(cause: .passphraseWrong, warnings: ["Enter it again"])), .reply(.askPassphrase)])
        #expect(flow.step == .awaitingPassphrase(apiKey: okx.apiKey, apiSecret: okx.apiSecret))
    }

    @Test("A wrong secret keeps the key and asks for the secret again")
    func wrongSecret() {
        var flow = checking(binance, exchange: "binance")
        let actions = flow.handle(.checked(.refused(.secretWrong, "Paste it again")), now: start)
        #expect(actions.last == .reply(.askSecret(keyHint: "Eh8A")))
        #expect(flow.step == .awaitingSecret(apiKey: binance.apiKey))
    }

    @Test("Resuming after a restart checks the key again, from checking or from applying")
    func resume() {
        var flow = checking(binance, exchange: "binance")
        #expect(flow.handle(.resume, now: start) == [.reply(.checking(exchange: "binance")), .checkKey(binance, KeyCheckContext())])

        _ = flow.handle(.checked(KeyVerdict(cause: nil, canTrade: true)), now: start)
        #expect(flow.step == .applying(binance))
        #expect(flow.handle(.resume, now: start) == [.reply(.checking(exchange: "binance")), .checkKey(binance, KeyCheckContext())])
        #expect(flow.step == .checking(binance))
    }

    @Test("Resuming a conversation that waits on the user does nothing")
    func resumeWhileCollecting() {
        var (flow, _) = KeyConversation.start(
            chat: ChatAddress(channel: .telegram, id: "1"),
            target: .init(userID: "u", accountID: "a", exchange: "binance"),
            now: start
        )
        #expect(flow.handle(.resume, now: start).isEmpty)
        #expect(flow.step == .awaitingKey)
    }
}
