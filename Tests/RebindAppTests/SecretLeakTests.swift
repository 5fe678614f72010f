import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Synchronization
import Testing

/// No pasted secret is left anywhere: not in the logs (every level, the application's and
/// every adapter's), not in the SQLite files' bytes, not in any message the bot sent.
@Suite("No secret anywhere")
struct SecretLeakTests {
    static let wrongPassphrase = "Wrong-Passphrase-9"
    /// A passphrase that reads like a command: still a secret.
    static let slashPassphrase = "/keys Wrong-Pass-7"

    /// What must never be seen outside the fake exchanges and the platform.
    static let secrets = [
        FakeBinanceServer.secret.value, FakeOKXServer.secret.value, FakeOKXServer.passphrase.value, wrongPassphrase,
        slashPassphrase,
    ]
    /// Not secret, but never shown or kept whole either: only the last characters.
    static let keys = [FakeBinanceServer.apiKey, FakeOKXServer.apiKey]

    @Test("The Binance and OKX flows, refusals included, leave no secret in logs, database files or bot messages")
    func noSecretAnywhere() async throws {
        let recorder = LogRecorder()
        let linkToken = Mutex("")
        var options = ChatWorld.Options()
        options.logger = recorder.logger()
        let world = try await ChatWorld.start(options)
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            try await world.sendEvent(ChatWorld.event(account: "acc_77", exchange: "okx", robot: "rb_9"), id: "msg_2", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 2)

            // A secret pasted outside any flow, as text and as a file's caption.
            try await world.userSends(FakeBinanceServer.secret.value, replies: 1, via: client)
            try await world.userSendsFile(caption: FakeOKXServer.secret.value, replies: 1, via: client)

            // A link made and confirmed in another chat: its token is neither logged nor stored.
            let token = try await world.linkToken(user: "u_linked", name: "n***@example.com", via: client)
            try await world.confirmLink(token, chatID: 777_000, replies: 1, via: client)
            linkToken.withLock { $0 = token }

            // Binance, with the store failing while the secret is being handled: the retry
            // logs the failure, never the secret.
            try await world.userSends("/update acc_42", replies: 1, via: client)
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            try await world.settle(via: client)
            try await world.sqlite.failWrites(to: "conversations")
            #expect(
                try await world.post(world.telegram.userSends(chatID: ChatWorld.chatID, text: FakeBinanceServer.secret.value), via: client) == .ok
            )
            #expect(await Self.waitUntil { !recorder.lines(containing: "Chat update failed; retrying").isEmpty })
            try await world.sqlite.failWrites(to: nil)
            #expect(await Self.waitUntil { world.botMessages().contains { $0.text.contains("has the new key") } })

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
            try await world.userSends(Self.slashPassphrase, replies: 3, via: client)
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

        let token = linkToken.withLock { $0 }
        #expect(!token.isEmpty)
        #expect(recorder.lines(containing: token).isEmpty, "log lines hold the link token")
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
            for secret in Self.secrets + Self.keys + [token] {
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

    /// Polls `condition` until it holds or 10 seconds pass.
    static func waitUntil(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
