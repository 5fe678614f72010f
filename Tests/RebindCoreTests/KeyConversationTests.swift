import Foundation
import RebindCore
import Testing

@Suite("Guided key update")
struct KeyConversationTests {
    static let binanceKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    static let binanceSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    static let okxKey = "5f1d8a3c-0b7e-4c2a-9d61-3e8f2b7a4c10"
    static let okxSecret = "22582BD0CFF14C41EDBF1AB98506286D"
    let start = Date(timeIntervalSince1970: 1_795_685_400)
    let chat = ChatAddress(channel: .telegram, id: "123456789")

    func conversation(exchange: String = "binance", futures: Bool = false) -> (KeyConversation, [KeyConversation.Action]) {
        KeyConversation.start(
            chat: chat,
            target: .init(userID: "u_1001", accountID: "acc_42", exchange: exchange, label: "Main", robotIDs: ["rb_7"], needsFutures: futures),
            now: start
        )
    }

    func replies(_ actions: [KeyConversation.Action]) -> [KeyConversation.Reply] {
        actions.compactMap { if case .reply(let reply) = $0 { reply } else { nil } }
    }

    @Test("Binance: key, then secret, each message deleted, then the exchange check")
    func binanceFlow() throws {
        var (flow, first) = conversation(futures: true)
        #expect(first == [.reply(.askKey(exchange: "binance", label: "Main"))])

        let afterKey = flow.handle(.text("  \(Self.binanceKey)\u{200B}\n", messageID: 10), now: start)
        #expect(afterKey == [.deleteMessage(10), .reply(.askSecret(keyHint: "Eh8A"))])

        let afterSecret = flow.handle(.text(Self.binanceSecret, messageID: 11), now: start)
        let credentials = ExchangeCredentials(apiKey: Self.binanceKey, apiSecret: Secret(Self.binanceSecret))
        #expect(
            afterSecret == [
                .deleteMessage(11), .reply(.checking(exchange: "binance")),
                .checkKey(credentials, KeyCheckContext(needsFutures: true)),
            ]
        )

        let verdict = KeyVerdict(cause: nil, canTrade: true)
        let accepted = flow.handle(.checked(verdict), now: start)
        #expect(accepted == [.reply(.keyAccepted(keyHint: "Eh8A", warnings: [])), .applyBinding(credentials, verdict)])
        #expect(flow.handle(.applied(standalone: false), now: start) == [.reply(.applied(standalone: false))])
        #expect(flow.isFinished)
    }

    @Test("OKX asks for the passphrase third")
    func okxFlow() throws {
        var (flow, _) = conversation(exchange: "okx")
        _ = flow.handle(.text(Self.okxKey, messageID: 1), now: start)
        #expect(flow.handle(.text(Self.okxSecret, messageID: 2), now: start) == [.deleteMessage(2), .reply(.askPassphrase)])
        let actions = flow.handle(.text("my passphrase 1", messageID: 3), now: start)
        let expected = ExchangeCredentials(apiKey: Self.okxKey, apiSecret: Secret(Self.okxSecret), passphrase: Secret("my passphrase 1"))
        #expect(actions.contains(.checkKey(expected, KeyCheckContext())))
        #expect(actions.first == .deleteMessage(3))
    }

    @Test("A bad paste is deleted and asked for again, precisely")
    func badPaste() {
        var (flow, _) = conversation(exchange: "okx")
        // The secret pasted where the key was asked for.
        let actions = flow.handle(.text(Self.okxSecret, messageID: 5), now: start)
        #expect(actions == [.deleteMessage(5), .reply(.badPaste(.looksLikeSecret))])
        #expect(flow.step == .awaitingKey)
        _ = flow.handle(.text(Self.okxKey, messageID: 6), now: start)
        _ = flow.handle(.text(Self.okxSecret, messageID: 7), now: start)
        let short = flow.handle(.text("short", messageID: 8), now: start)
        #expect(short == [.deleteMessage(8), .reply(.badPaste(.passphraseLength(actual: 5)))])
    }

    @Test("A refused key is counted, explained, and the flow asks for a new key")
    func refused() {
        var (flow, _) = conversation()
        _ = flow.handle(.text(Self.binanceKey, messageID: 1), now: start)
        _ = flow.handle(.text(Self.binanceSecret, messageID: 2), now: start)
        let verdict = KeyVerdict(cause: .permissionMissing, canTrade: true, canWithdraw: true, findings: ["Turn withdrawals off"])
        let actions = flow.handle(.checked(verdict), now: start)
        #expect(
            actions == [
                .recordFailedCheck, .reply(.keyRefused(cause: .permissionMissing, warnings: ["Turn withdrawals off"])),
                .reply(.askKey(exchange: "binance", label: "Main")),
            ]
        )
        #expect(flow.step == .awaitingKey)
    }

    /// A Binance conversation for an account whose exchange id is `uid`, checking its key.
    func checking(accountUID uid: String?) -> (KeyConversation, ExchangeCredentials) {
        var (flow, _) = KeyConversation.start(
            chat: chat,
            target: .init(userID: "u_1001", accountID: "acc_42", exchange: "binance", label: "Main", robotIDs: ["rb_7"], exchangeUID: uid),
            now: start
        )
        _ = flow.handle(.text(Self.binanceKey, messageID: 1), now: start)
        _ = flow.handle(.text(Self.binanceSecret, messageID: 2), now: start)
        return (flow, ExchangeCredentials(apiKey: Self.binanceKey, apiSecret: Secret(Self.binanceSecret)))
    }

    @Test("A key of another exchange account is refused with its own reply, counted, and a new key asked for")
    func anotherAccount() {
        var (flow, _) = checking(accountUID: "354937868")
        let verdict = KeyVerdict(cause: nil, canTrade: true, ipRestricted: true, exchangeUID: "900000001")
        #expect(
            flow.handle(.checked(verdict), now: start) == [
                .recordFailedCheck, .reply(.accountMismatch(exchange: "binance")),
                .reply(.askKey(exchange: "binance", label: "Main")),
            ]
        )
        #expect(flow.step == .awaitingKey)
    }

    @Test("A key of the account's own exchange account is accepted and applied")
    func sameAccount() {
        var (flow, credentials) = checking(accountUID: "354937868")
        let verdict = KeyVerdict(cause: nil, canTrade: true, exchangeUID: "354937868")
        #expect(
            flow.handle(.checked(verdict), now: start) == [.reply(.keyAccepted(keyHint: "Eh8A", warnings: [])), .applyBinding(credentials, verdict)]
        )
    }

    @Test("With no known exchange account any account's key is accepted; its id travels with the verdict")
    func unknownAccount() {
        var (flow, credentials) = checking(accountUID: nil)
        let verdict = KeyVerdict(cause: nil, canTrade: true, exchangeUID: "900000001")
        #expect(
            flow.handle(.checked(verdict), now: start) == [.reply(.keyAccepted(keyHint: "Eh8A", warnings: [])), .applyBinding(credentials, verdict)]
        )
    }

    @Test("Another account's key is refused for that, not for its permissions: fixing them would not help")
    func anotherAccountBeforePermissions() {
        var (flow, _) = checking(accountUID: "354937868")
        let verdict = KeyVerdict(cause: .permissionMissing, canTrade: true, canWithdraw: true, findings: ["Turn withdrawals off"], exchangeUID: "1")
        #expect(
            flow.handle(.checked(verdict), now: start) == [
                .recordFailedCheck, .reply(.accountMismatch(exchange: "binance")),
                .reply(.askKey(exchange: "binance", label: "Main")),
            ]
        )
    }

    @Test("A usable verdict that names no account cannot show it is the same one: refused as another account's")
    func usableWithoutAccount() {
        var (flow, _) = checking(accountUID: "354937868")
        #expect(
            flow.handle(.checked(KeyVerdict(cause: nil, canTrade: true)), now: start) == [
                .recordFailedCheck, .reply(.accountMismatch(exchange: "binance")),
                .reply(.askKey(exchange: "binance", label: "Main")),
            ]
        )
    }

    @Test("A key the exchange refused outright (no account named) keeps its own refusal; a wrong secret is asked for again")
    func refusedWithoutAccount() {
        var (flow, _) = checking(accountUID: "354937868")
        let verdict = KeyVerdict.refused(.secretWrong, "The secret key does not match")
        #expect(
            flow.handle(.checked(verdict), now: start) == [
                .recordFailedCheck, .reply(.keyRefused(cause: .secretWrong, warnings: ["The secret key does not match"])),
                .reply(.askSecret(keyHint: "Eh8A")),
            ]
        )
        #expect(flow.step == .awaitingSecret(apiKey: Self.binanceKey))
    }

    @Test("An exchange that cannot be asked ends the flow with the reason")
    func unavailable() {
        var (flow, _) = conversation()
        _ = flow.handle(.text(Self.binanceKey, messageID: 1), now: start)
        _ = flow.handle(.text(Self.binanceSecret, messageID: 2), now: start)
        let error = KeyCheckError.busy(exchange: "Binance", status: 503)
        #expect(replies(flow.handle(.checkFailed(error), now: start)) == [.checkUnavailable(error)])
        #expect(flow.isFinished)
    }

    @Test("Messages sent while the check runs are deleted and answered with a wait")
    func whileChecking() {
        var (flow, _) = conversation()
        _ = flow.handle(.text(Self.binanceKey, messageID: 1), now: start)
        _ = flow.handle(.text(Self.binanceSecret, messageID: 2), now: start)
        #expect(flow.handle(.text("hello?", messageID: 3), now: start) == [.deleteMessage(3), .reply(.stillWorking)])
    }

    @Test("Cancel ends the flow and forgets what it collected")
    func cancel() {
        var (flow, _) = conversation()
        _ = flow.handle(.text(Self.binanceKey, messageID: 1), now: start)
        #expect(flow.handle(.cancel, now: start) == [.reply(.cancelled)])
        #expect(flow.step == .finished)
        #expect(flow.handle(.text(Self.binanceSecret, messageID: 2), now: start).isEmpty)
    }

    @Test("Ten idle minutes end the flow; activity restarts the clock")
    func idle() {
        var (flow, _) = conversation()
        #expect(flow.handle(.tick, now: start.addingTimeInterval(599)).isEmpty)
        _ = flow.handle(.text(Self.binanceKey, messageID: 1), now: start.addingTimeInterval(300))
        #expect(flow.handle(.tick, now: start.addingTimeInterval(899)).isEmpty)
        #expect(flow.handle(.tick, now: start.addingTimeInterval(900)) == [.reply(.expired)])
        #expect(flow.step == .finished)
    }

    @Test("A permanent refusal by the platform sends the user to the web")
    func applyRefused() {
        var (flow, _) = conversation()
        _ = flow.handle(.text(Self.binanceKey, messageID: 1), now: start)
        _ = flow.handle(.text(Self.binanceSecret, messageID: 2), now: start)
        _ = flow.handle(.checked(KeyVerdict(cause: nil, canTrade: true)), now: start)
        #expect(flow.handle(.applyRefused, now: start) == [.reply(.finishOnWeb)])
    }

    @Test("Too many failed checks stop the flow until the hour has passed")
    func limited() {
        let limit = FailedCheckLimit()
        let failures = (0..<5).map { start.addingTimeInterval(Double($0) * 60) }
        #expect(limit.nextAllowed(failures: Array(failures.prefix(4)), now: start.addingTimeInterval(300)) == nil)
        #expect(limit.nextAllowed(failures: failures, now: start.addingTimeInterval(300)) == start.addingTimeInterval(3600))
        #expect(limit.nextAllowed(failures: failures, now: start.addingTimeInterval(3600)) == nil)
    }
}

@Suite("Guided key update, persisted")
struct KeyConversationSnapshotTests {
    @Test("A conversation restored from its snapshot continues where it was, at every step")
    func roundTrip() throws {
        let start = Date(timeIntervalSince1970: 1_795_685_400)
        var (flow, _) = KeyConversation.start(
            chat: ChatAddress(channel: .telegram, id: "1"),
            target: .init(userID: "u", accountID: "a", exchange: "okx", robotIDs: ["rb_7"], exchangeUID: "44705892343619584"),
            now: start
        )
        let inputs: [KeyConversation.Input] = [
            .text(KeyConversationTests.okxKey, messageID: 1), .text(KeyConversationTests.okxSecret, messageID: 2),
            .text("passphrase-1", messageID: 3), .checked(KeyVerdict(cause: nil, canTrade: true, exchangeUID: "44705892343619584")),
        ]
        for input in inputs {
            let restored = try KeyConversation(snapshot: try flow.snapshot())
            #expect(restored == flow)
            _ = flow.handle(input, now: start)
        }
        #expect(try KeyConversation(snapshot: try flow.snapshot()) == flow)
        #expect(try KeyConversation(snapshot: try flow.snapshot()).target.exchangeUID == "44705892343619584")
    }

    @Test("A conversation saved before targets carried the exchange account restores with none")
    func olderSnapshot() throws {
        let stored =
            #"{"chat":{"channel":"telegram","id":"1"},"target":{"userID":"u","accountID":"a","exchange":"okx","robotIDs":[],"needsFutures":false},"step":"awaiting_key","lastActivityAt":0}"#
        let restored = try KeyConversation(snapshot: Data(stored.utf8))
        #expect(restored.target.exchangeUID == nil)
        #expect(restored.step == .awaitingKey)
    }
}

@Suite("Chat commands")
struct ChatCommandTests {
    @Test("Commands are read with arguments and bot names; other text is not a command")
    func parse() {
        #expect(ChatCommand.parse("/start abc_123") == .start(token: "abc_123"))
        #expect(ChatCommand.parse("/start") == .start(token: nil))
        #expect(ChatCommand.parse("/update@RebindBot acc_42") == .update(account: "acc_42"))
        #expect(ChatCommand.parse(" /UPDATE ") == .update(account: nil))
        #expect(ChatCommand.parse("/status") == .keys)
        #expect(ChatCommand.parse("/keys") == .keys)
        #expect(ChatCommand.parse("/language zh-CN") == .language(tag: "zh-CN"))
        #expect(ChatCommand.parse("/language") == .language(tag: nil))
        #expect(ChatCommand.parseSlack("language en") == .language(tag: "en"))
        #expect(ChatCommand.parse("/cancel") == .cancel)
        #expect(ChatCommand.parse("/help") == .help)
        #expect(ChatCommand.parse("/unknown") == nil)
        #expect(ChatCommand.parse("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A") == nil)
    }
}
