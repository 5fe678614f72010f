import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import RebindSlack
import Testing

/// No secret typed into Slack is left anywhere: not in the logs (every level, the
/// application's and every adapter's), not in the SQLite files' bytes, not in any call made
/// to Slack (messages, edits, the modal and its private metadata).
@Suite("No secret anywhere, on Slack")
struct SlackSecretLeakTests {
    static let wrongPassphrase = "Wrong-Passphrase-9"
    static let secrets = SecretLeakTests.secrets
    static let keys = SecretLeakTests.keys

    @Test("The Binance and OKX key forms, refusals and a key pasted into the DM included, leave no secret in logs, database files or calls to Slack")
    func noSecretAnywhere() async throws {
        let recorder = LogRecorder()
        var options = SlackWorld.Options()
        options.logger = recorder.logger()
        let world = try await SlackWorld.start(options)
        try await world.env.application(logger: world.logger).test(.live) { client in
            try await world.sendEvent(SlackWorld.event(), id: "msg_1", via: client)
            try await world.sendEvent(SlackWorld.event(account: "acc_77", exchange: "okx", robot: "rb_9"), id: "msg_2", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 2 })

            // A secret pasted into the DM, outside any form.
            try await world.userWrites(FakeBinanceServer.secret.value, replies: 1, via: client)

            // Binance, with a secret pasted into the key field first.
            let binance = try await openForm(account: "acc_42", world, client)
            let swapped = try await world.userSubmits(
                viewID: binance,
                ["api_key": FakeBinanceServer.secret.value + "x", "api_secret": FakeBinanceServer.apiKey],
                via: client
            )
            #expect(swapped["response_action"] as? String == "errors")
            let done = try await world.expectingReplies(3) {
                _ = try await world.userSubmits(
                    viewID: binance,
                    ["api_key": FakeBinanceServer.apiKey, "api_secret": FakeBinanceServer.secret.value],
                    via: client
                )
            }
            #expect(done.last.map(SlackWorld.shown)?.contains("has the new key") == true)

            // OKX: a passphrase in the secret field, then a wrong passphrase the exchange refuses.
            let okx = try await openForm(account: "acc_77", world, client)
            let misplaced = try await world.userSubmits(
                viewID: okx,
                ["api_key": FakeOKXServer.apiKey, "api_secret": FakeOKXServer.passphrase.value, "passphrase": FakeOKXServer.secret.value],
                via: client
            )
            #expect(misplaced["response_action"] as? String == "errors")
            let refused = try await world.expectingReplies(3) {
                _ = try await world.userSubmits(
                    viewID: okx,
                    ["api_key": FakeOKXServer.apiKey, "api_secret": FakeOKXServer.secret.value, "passphrase": Self.wrongPassphrase],
                    via: client
                )
            }
            #expect(refused.map(SlackWorld.shown).contains { $0.contains("passphrase does not match") })
            let again = try await openForm(account: "acc_77", world, client)
            let accepted = try await world.expectingReplies(3) {
                _ = try await world.userSubmits(
                    viewID: again,
                    ["api_key": FakeOKXServer.apiKey, "api_secret": FakeOKXServer.secret.value, "passphrase": FakeOKXServer.passphrase.value],
                    via: client
                )
            }
            #expect(accepted.last.map(SlackWorld.shown)?.contains("has the new key") == true)
            #expect(world.platform?.appliedUpdates().count == 2)
            try await world.settle(via: client)
        }

        // The capture saw the whole run, at every level.
        let lines = recorder.all
        #expect(lines.contains { $0.hasPrefix("trace") && $0.contains("chat.postMessage") })
        #expect(lines.contains { $0.contains("views.open") })
        #expect(lines.contains { $0.contains("Key checked") })
        #expect(lines.contains { $0.contains("Binding update delivered") })
        #expect(lines.contains { $0.contains("pasted what looks like a key") })

        let sent = world.everythingSentToSlack()
        #expect(sent.contains { $0.contains("Update API key") })
        for secret in Self.secrets + Self.keys {
            let hint = String(secret.suffix(4))
            #expect(recorder.lines(containing: secret).isEmpty, "log lines hold …\(hint)")
            #expect(!sent.contains { $0.contains(secret) }, "a call to Slack holds …\(hint)")
            #expect(!world.slack.views().contains { "\($0.view)".contains(secret) || $0.privateMetadata?.contains(secret) == true })
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
        try await world.shutdown()
    }

    /// Types `/rebind update <account>`; returns the opened form's view id.
    func openForm(account: String, _ world: SlackWorld, _ client: some TestClientProtocol) async throws -> String {
        let before = world.slack.views().count
        let response = try await world.postCommand(world.slack.userTypesCommand("update \(account)", user: SlackWorld.userID), via: client)
        #expect(response.status == .ok)
        let views = world.slack.views()
        try #require(views.count == before + 1)
        return views[before].id
    }
}
