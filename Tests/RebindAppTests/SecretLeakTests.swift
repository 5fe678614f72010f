import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindTestSupport
import Testing

/// No pasted secret is left anywhere: not in the logs (every level, the application's and
/// every adapter's), not in the SQLite files' bytes, not in any message the bot sent.
@Suite("No secret anywhere")
struct SecretLeakTests {
    static let wrongPassphrase = "Wrong-Passphrase-9"

    /// What must never be seen outside the fake exchanges and the platform.
    static let secrets = [
        FakeBinanceServer.secret.value, FakeOKXServer.secret.value, FakeOKXServer.passphrase.value, wrongPassphrase,
    ]
    /// Not secret, but never shown or kept whole either: only the last characters.
    static let keys = [FakeBinanceServer.apiKey, FakeOKXServer.apiKey]

    @Test("The Binance and OKX flows, refusals included, leave no secret in logs, database files or bot messages")
    func noSecretAnywhere() async throws {
        let recorder = LogRecorder()
        var options = ChatWorld.Options()
        options.logger = recorder.logger()
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            try await world.sendEvent(ChatWorld.event(account: "acc_77", exchange: "okx", robot: "rb_9"), id: "msg_2", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 2)

            // A secret pasted outside any flow.
            try await world.userSends(FakeBinanceServer.secret.value, replies: 1, via: client)

            // Binance.
            try await world.userSends("/update acc_42", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let binance = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            #expect(binance.last?.text.contains("has the new key") == true)

            // A key of another Binance account than the one just bound: refused for that.
            world.binance.accountUID = 900_000_001
            try await world.userSends("/update acc_42", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            let mismatch = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client)
            #expect(mismatch.dropFirst().first?.text.contains("different Binance account") == true)

            // OKX, with a bad paste and a wrong passphrase on the way.
            try await world.userSends("/update acc_77", replies: 1, via: client)
            try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeOKXServer.passphrase.value, replies: 1, via: client)
            try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client)
            try await world.userSends(Self.wrongPassphrase, replies: 3, via: client)
            let okx = try await world.userSends(FakeOKXServer.passphrase.value, replies: 3, via: client)
            #expect(okx.last?.text.contains("has the new key") == true)

            #expect(world.platform?.appliedUpdates().count == 2)
            try await world.settle(via: client)
        }

        // The capture saw the whole run, at every level.
        let lines = recorder.all
        #expect(lines.contains { $0.hasPrefix("trace") && $0.contains("Telegram call answered") })
        #expect(lines.contains { $0.contains("HTTP request answered") })
        #expect(lines.contains { $0.contains("Key checked") })
        #expect(lines.contains { $0.contains("Binding update delivered") })

        for secret in Self.secrets + Self.keys {
            let hint = String(secret.suffix(4))
            #expect(recorder.lines(containing: secret).isEmpty, "log lines hold …\(hint)")
            #expect(!world.everythingTheBotSent().contains { $0.contains(secret) }, "a bot message holds …\(hint)")
            #expect(!world.botMessages().contains { $0.text.contains(secret) || $0.sentText.contains(secret) })
        }

        // The database's files, WAL and shared memory included.
        let files = try FileManager.default.contentsOfDirectory(at: world.env.directory, includingPropertiesForKeys: nil)
        #expect(files.contains { $0.lastPathComponent.hasSuffix("-wal") })
        for file in files {
            let bytes = try Data(contentsOf: file)
            for secret in Self.secrets + Self.keys {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file.lastPathComponent) holds …\(secret.suffix(4))")
            }
        }
        // Every pasted message was deleted from the chat.
        let userTexts = world.telegram.messages(inChat: ChatWorld.chatID).filter { !$0.fromBot }.map(\.text)
        for secret in Self.secrets + Self.keys {
            #expect(!userTexts.contains { $0.contains(secret) })
        }
        try await world.shutdown()
    }
}
