import Foundation
import GRDB
import HummingbirdTesting
import RebindCore
import RebindSimulator
import Testing

@testable import RebindSQLite

/// No secret left behind (issue 11): every message of a key flow is deleted before anything
/// else can fail, whatever its form; a failed delete is retried and, if it stays failed, the
/// user is told; a failed input is retried, never silently dropped.
@Suite("No secret left in the chat")
struct SecretLeftBehindTests {
    @Test("A key in a photo's caption is deleted and taken as the key; a file without a caption is deleted and asked for again")
    func captionsAndFiles() async throws {
        try await TelegramRefusalTests.started { world, client in
            let asked = try #require(try await world.userSendsFile(caption: FakeBinanceServer.apiKey, replies: 1, via: client).only)
            #expect(asked.text.contains("Secret Key"))
            let file = try #require(try await world.userSendsFile(caption: nil, replies: 1, via: client).only)
            #expect(file.text.contains("Nothing came through"))
            try await world.userSendsFile(caption: FakeBinanceServer.secret.value, replies: 3, via: client)
            #expect(world.deletedTexts() == [FakeBinanceServer.apiKey, "", FakeBinanceServer.secret.value])
            // Of what the user sent, only the command is left.
            #expect(world.telegram.messages(inChat: ChatWorld.chatID).filter { !$0.fromBot }.map(\.text) == ["/update"])
            #expect(world.platform?.appliedUpdates().only?.credentials.apiSecret == FakeBinanceServer.secret.value)
        }
    }

    @Test("Outside a key flow a document with a key in its caption is deleted too")
    func captionOutsideFlow() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let told = try #require(try await world.userSendsFile(caption: "key " + FakeBinanceServer.apiKey, replies: 1, via: client).only)
            #expect(told.text.contains("I only take keys during an update"))
            #expect(world.deletedTexts() == ["key " + FakeBinanceServer.apiKey])
        }
        try await world.shutdown()
    }

    @Test("An OKX passphrase that starts with / is the passphrase, deleted, not a command; /cancel still cancels")
    func slashPassphrase() async throws {
        try await TelegramRefusalTests.started(exchange: "okx") { world, client in
            try await world.userSends(FakeOKXServer.apiKey, replies: 1, via: client)
            try await world.userSends(FakeOKXServer.secret.value, replies: 1, via: client)
            // "/keys Strong-2026" would be the /keys command anywhere else.
            let refused = try await world.userSends("/keys Strong-2026", replies: 3, via: client).map(\.text)
            #expect(refused[1].contains("The passphrase does not match this key"))
            #expect(world.okx.requests().contains { $0.header("OK-ACCESS-PASSPHRASE") == "/keys Strong-2026" })
            #expect(world.deletedTexts().contains("/keys Strong-2026"))
            #expect(!refused.contains { $0.contains("days left") })
            // Asked for the passphrase again: /cancel still cancels.
            let cancelled = try #require(try await world.userSends("/cancel", replies: 1, via: client).only)
            #expect(cancelled.text.contains("Cancelled") || cancelled.text.contains("cancelled"))
            try await world.settle(via: client)
            #expect(try await !world.hasConversation())
        }
    }

    @Test("A delete that fails for a while is retried until it works; one that keeps failing is said to the user")
    func deleteRetried() async throws {
        try await TelegramRefusalTests.started { world, client in
            world.telegram.inject(.serverError(status: 502), times: 2, method: "deleteMessage")
            let asked = try #require(try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client).only)
            #expect(asked.text.contains("Secret Key"))
            #expect(world.deletedTexts() == [FakeBinanceServer.apiKey])
            #expect(world.telegram.calls(method: "deleteMessage").count == 3)

            world.telegram.inject(.serverError(status: 500), times: nil, method: "deleteMessage")
            let replies = try await world.userSends("not a secret", replies: 2, via: client).map(\.text)
            #expect(replies.contains { $0.contains("couldn't delete your message") })
            // Three retries after the first try, then the user is told.
            #expect(world.telegram.calls(method: "deleteMessage").count == 3 + 4)
        }
    }

    @Test("A store that fails while a secret is pending: the message is still deleted, and the input retried until it goes through")
    func storeFailsOnce() async throws {
        let logs = LogRecorder()
        var options = ChatWorld.Options()
        options.logger = logs.logger()
        try await TelegramRefusalTests.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            // The key's input is done (its conversation saved) before the store starts failing.
            try await world.drained()
            try await world.sqlite.failWrites(to: "conversations")
            #expect(
                try await world.post(world.telegram.userSends(chatID: ChatWorld.chatID, text: FakeBinanceServer.secret.value), via: client) == .ok
            )
            let failed = await waitUntil { !logs.lines(containing: "Chat update failed; retrying").isEmpty }
            #expect(failed)
            // Deleted before the failure, and nothing said yet.
            #expect(world.deletedTexts().contains(FakeBinanceServer.secret.value))
            try await world.sqlite.failWrites(to: nil)
            let applied = await waitUntil { world.botMessages().contains { $0.text.contains("has the new key") } }
            #expect(applied)
            #expect(world.platform?.appliedUpdates().count == 1)
        }
    }

    @Test("An input that keeps failing is given up after the retries, and the user is told rather than left waiting")
    func inputGivenUp() async throws {
        var options = ChatWorld.Options()
        options.inputRetryDelays = [.milliseconds(20), .milliseconds(20)]
        try await TelegramRefusalTests.started(options) { world, client in
            try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client)
            // The key's input is done (its conversation saved) before the store starts failing.
            try await world.drained()
            try await world.sqlite.failWrites(to: "conversations")
            // Each try says "checking" before the store fails; after the last, the user is told.
            let replies = try await world.userSends(FakeBinanceServer.secret.value, replies: 4, via: client).map(\.text)
            #expect(replies.last?.contains("couldn't handle it after several tries") == true, "\(replies)")
            #expect(world.deletedTexts().contains(FakeBinanceServer.secret.value))
            try await world.sqlite.failWrites(to: nil)
        }
    }

    func waitUntil(_ condition: () -> Bool) async -> Bool {
        await SecretLeakTests.waitUntil(condition)
    }
}

extension SQLiteStore {
    /// Makes every write to `table` fail (as a full disk or a lost lock would), or, with nil,
    /// stops that. Through a trigger: the store under test is not changed.
    func failWrites(to table: String?) async throws {
        try await pool.write { db in
            for kind in ["insert", "update"] {
                try db.execute(sql: "DROP TRIGGER IF EXISTS test_fault_\(kind)")
                if let table {
                    try db.execute(
                        sql:
                            "CREATE TRIGGER test_fault_\(kind) BEFORE \(kind.uppercased()) ON \(table) BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
                    )
                }
            }
        }
    }
}
