import Foundation
import GRDB
import RebindCore
import RebindSQLite
import Testing

/// Retention (DESIGN §7) on both stores: what is finished and old goes, in batches; what is
/// open, pending or live stays.
@Suite("Store, retention")
struct RetentionStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let chat = ChatAddress(channel: .telegram, id: "555")
    let policy = IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 2)

    func event(_ id: String, _ type: EventType, user: String, at: Date? = nil) -> IncomingEvent {
        let event = RobotEvent(
            type: type,
            occurredAt: at ?? now,
            user: .init(id: user, telegramChatId: 555),
            account: .init(id: "acc_\(user)", exchange: "binance"),
            robot: .init(id: "rb_1", name: "Grid"),
            reason: type == .robotResumed ? nil : .init(text: "API expired or no permission")
        )
        return IncomingEvent(
            id: id,
            event: event,
            cause: type == .robotResumed ? nil : .keyExpired,
            body: Data("{}".utf8),
            receivedAt: at ?? now
        )
    }

    /// Passes of one-row batches until nothing is left to delete: the totals by table.
    func drain(_ store: any TestableStore, _ cutoffs: RetentionCutoffs) async throws -> [RetentionTable: Int] {
        var total: [RetentionTable: Int] = [:]
        while true {
            let deleted = try await store.deleteFinished(cutoffs, batch: 1)
            guard deleted.values.contains(where: { $0 > 0 }) else { return total }
            total.merge(deleted, uniquingKeysWith: +)
        }
    }

    @Test(
        "Old finished records go in batches; open incidents, pending notices and updates, conversations and bindings stay",
        arguments: StoreKind.available
    )
    func finishedGo(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            // u_open: an open incident whose guidance is still pending.
            _ = try await store.ingest(event("e_open", .robotPaused, user: "u_open"))
            // u_done: paused, told, resumed: resolved, and its notices sent.
            _ = try await store.ingest(event("e_done", .robotPaused, user: "u_done"))
            let due = try await store.dueNotices(now: now.addingTimeInterval(20), limit: 10)
            let open = try #require(try await store.openIncidents(ofUser: "u_open").first)
            let done = try #require(try await store.openIncidents(ofUser: "u_done").first)
            for notice in due where notice.notice.incidentID == done.id { try await store.completeNotice(id: notice.id) }
            _ = try await store.ingest(event("e_done_resumed", .robotResumed, user: "u_done", at: now.addingTimeInterval(30)))
            #expect(try await store.incident(id: done.id)?.resolvedAt != nil)
            for notice in try await store.dueNotices(now: now.addingTimeInterval(60), limit: 10) where notice.notice.incidentID == done.id {
                try await store.completeNotice(id: notice.id)
            }

            // Chat updates: one processed, one waiting.
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "1", lane: chat.description, payload: Data("a".utf8), now: now))
            #expect(try await store.recordUpdate(channel: .telegram, externalID: "2", lane: chat.description, payload: Data("b".utf8), now: now))
            let updates = try await store.pendingUpdates(limit: 10)
            try await store.completeUpdate(id: updates[0].id)

            // Links: one used, one never used and expired, one still valid.
            for (hash, days) in [("used", 1.0), ("expired", 0.5), ("valid", 400.0)] {
                let link = NewLink(
                    tokenHash: hash,
                    userID: "u_open",
                    displayName: "n",
                    webhookID: "w_\(hash)",
                    expiresAt: now.addingTimeInterval(days * 86_400)
                )
                #expect(try await store.createLink(link, now: now))
            }
            _ = try await store.redeemLink(tokenHash: "used", chat: ChatAddress(channel: .telegram, id: "777"), now: now)

            // A live conversation, a binding, a failed check, and binding updates ended and pending.
            let sealed = SealedData(keyID: "k1", data: Data([1, 2, 3]))
            try await store.saveConversation(sealed, chat: chat, activeAt: now)
            try await store.saveCredentials(
                accountID: "acc_u_open",
                userID: "u_open",
                exchange: "binance",
                keyHint: "h8A",
                sealed: sealed,
                verdict: KeyVerdict(cause: nil, canTrade: true),
                now: now
            )
            try await store.recordFailedCheck(accountID: "acc_u_open", now: now)
            for id in ["bind_ended", "bind_pending"] {
                try await store.queueBindingUpdate(
                    QueuedBindingUpdate(id: id, chat: ChatAddress(channel: .telegram, id: id), accountID: "acc_u_open", sealed: sealed),
                    conversation: sealed,
                    activeAt: now,
                    now: now
                )
            }
            try await store.endBindingUpdate(id: "bind_ended", as: .delivered, error: nil, now: now)

            // Nothing is old enough yet.
            let early = try await drain(store, RetentionCutoffs(days: 90, now: now.addingTimeInterval(86_400)))
            #expect(early.isEmpty, "\(early)")

            // 91 days on: what is finished goes, batch by batch.
            let later = now.addingTimeInterval(91 * 86_400)
            let deleted = try await drain(store, RetentionCutoffs(days: 90, now: later))
            #expect(deleted[.events] == 3)
            #expect(deleted[.updates] == 1)
            #expect(deleted[.notices] == due.count(where: { $0.notice.incidentID == done.id }) + 1)
            #expect(deleted[.incidents] == 1)
            #expect(deleted[.links] == 2, "\(deleted)")
            #expect(deleted[.bindingUpdates] == 1)
            #expect(deleted[.checkFailures] == 1)

            #expect(try await store.incident(id: done.id) == nil)
            #expect(try await store.incident(id: open.id) != nil, "an open incident stays")
            #expect(try await store.dueNotices(now: later, limit: 10).contains { $0.notice.incidentID == open.id }, "its pending notice too")
            #expect(try await store.pendingUpdates(limit: 10).map(\.externalID) == ["2"])
            #expect(try await store.conversation(chat: chat) == sealed)
            #expect(try await store.bindings(ofUser: "u_open").count == 1)
            #expect(try await store.hasPendingBindingUpdate(chat: ChatAddress(channel: .telegram, id: "bind_pending")))
            #expect(try await store.pendingLink(tokenHash: "valid", now: later) != nil)
            try await store.reclaimSpace()
        }
    }

    @Test("Processed chat updates go after a week at most: Telegram may reuse update ids after a quiet week")
    func updateDeduplication() {
        let cutoffs = RetentionCutoffs(days: 90, now: now)
        #expect(cutoffs.finished == now.addingTimeInterval(-90 * 86_400))
        #expect(cutoffs.processedUpdates == now.addingTimeInterval(-7 * 86_400))
        #expect(RetentionCutoffs(days: 3, now: now).processedUpdates == now.addingTimeInterval(-3 * 86_400))
    }
}

@Suite("SQLite gives deleted space back")
struct SQLiteVacuumTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func temporaryPath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-vacuum-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("rebind.sqlite").path
    }

    func fileSize(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test("A new database shrinks as retention deletes: the file is smaller after a pass than before")
    func shrinks() async throws {
        let path = try temporaryPath()
        let store = try SQLiteStore(configuration: .init(path: path))
        #expect(try await store.shrinksAsRowsGo())
        let body = Data(repeating: UInt8(ascii: "x"), count: 4000)
        for index in 0..<2000 {
            let event = RobotEvent(
                type: .apiBindingUpdated,
                occurredAt: now,
                user: .init(id: "u_\(index)"),
                account: .init(id: "acc_\(index)", exchange: "binance")
            )
            _ = try await store.ingest(IncomingEvent(id: "e_\(index)", event: event, cause: nil, body: body, receivedAt: now))
        }
        try await store.checkpoint()
        let full = try fileSize(path)
        var deleted = 0
        while true {
            let count = try await store.deleteFinished(RetentionCutoffs(days: 1, now: now.addingTimeInterval(2 * 86_400)), batch: 500)[.events] ?? 0
            deleted += count
            if count == 0 { break }
        }
        #expect(deleted == 2000)
        try await store.reclaimSpace()
        try await store.checkpoint()
        let after = try fileSize(path)
        #expect(after < full / 2, "\(full) bytes before, \(after) after")
    }

    @Test("A database made before retention is switched once by a VACUUM, and then shrinks too")
    func switchesOldDatabase() async throws {
        let path = try temporaryPath()
        // As an earlier version left it: tables made with auto_vacuum off.
        let old = try DatabaseQueue(path: path)
        try await old.write { db in try db.execute(sql: "CREATE TABLE earlier (id INTEGER PRIMARY KEY)") }
        try old.close()
        let store = try SQLiteStore(configuration: .init(path: path, serves: false))
        #expect(try await !store.shrinksAsRowsGo())
        #expect(try await store.switchToIncrementalVacuum())
        #expect(try await store.shrinksAsRowsGo())
        #expect(try await !store.switchToIncrementalVacuum(), "once")
    }
}
