import Foundation
import GRDB
import RebindCore
import Testing

@testable import RebindSQLite

@Suite("SQLite: the inbox moves to an integer row key")
struct SQLiteInboxMigrationTests {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("rebind-inbox-\(UUID().uuidString)").appendingPathComponent("rebind.sqlite").path
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    /// Events stored before the migration, received in an order their webhook ids do not sort
    /// in; every column differs from event to event, so a column copied into another shows.
    static let storedBefore: [(id: String, type: String, account: String, robot: String?, cause: String?, receivedAt: Double)] = [
        ("msg_c", "robot.paused", "acc_1", "rb_1", "key_expired", 1_795_685_010),
        ("msg_a", "robot.stopped", "acc_1", "rb_2", "key_deleted", 1_795_685_020),
        ("msg_d", "api_binding.updated", "acc_2", nil, nil, 1_795_685_030),
        ("msg_b", "robot.resumed", "acc_1", "rb_1", "key_expired", 1_795_685_040),
    ]

    /// Every column but the new row id, in the order received.
    static let columns = "webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body"

    static func values(_ db: Database, _ sql: String) throws -> [[DatabaseValue]] {
        try Row.fetchAll(db, sql: sql).map { Array($0.databaseValues) }
    }

    /// A database as it was before v16, holding `storedBefore`; returns its inbox's rows.
    func layOutBeforeRowKey() throws -> [[DatabaseValue]] {
        let queue = try SQLiteStore.queue(at: path, before: "v16_inbox_row_key")
        defer { try? queue.close() }
        return try queue.write { db in
            for (index, event) in Self.storedBefore.enumerated() {
                try db.execute(
                    sql: "INSERT INTO inbox (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        event.id, event.type, "u_\(index)", event.account, event.robot, event.cause, event.receivedAt - Double(index) - 1,
                        event.receivedAt, Data("{\"id\":\"\(event.id)\"}".utf8),
                    ]
                )
            }
            return try Self.values(db, "SELECT \(Self.columns) FROM inbox ORDER BY received_at")
        }
    }

    func event(robot: String) -> RobotEvent {
        RobotEvent(
            type: .robotPaused,
            occurredAt: now,
            user: .init(id: "u_1"),
            account: .init(id: "acc_1", exchange: "binance"),
            robot: .init(id: robot, name: "Grid"),
            reason: .init(text: "API expired or no permission")
        )
    }

    @Test("Stored events keep every column, in the order received; a resent one is still a duplicate")
    func keepsEvents() async throws {
        let before = try layOutBeforeRowKey()
        let store = try SQLiteStore(configuration: .init(path: path))
        #expect(try await store.eventCount() == 4)
        for stored in Self.storedBefore {
            #expect(try await store.containsEvent(id: stored.id))
        }
        // The sender retries an event stored before the upgrade: answered as the duplicate it
        // is, with the cause stored then, and nothing created again.
        let resent = IncomingEvent(id: "msg_a", event: event(robot: "rb_1"), cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
        #expect(try await store.ingest(resent) == .duplicate(cause: .keyDeleted))
        let fresh = IncomingEvent(id: "msg_0", event: event(robot: "rb_2"), cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
        #expect(try await store.ingest(fresh) == .stored(cause: .keyExpired))
        #expect(try await store.ingest(fresh) == .duplicate(cause: .keyExpired))
        #expect(try await store.eventCount() == 5)

        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try await queue.read { db in
            // Every column as it was; row ids follow the order of receipt, the new event last,
            // whatever its webhook id.
            #expect(try Self.values(db, "SELECT \(Self.columns) FROM inbox WHERE webhook_id <> 'msg_0' ORDER BY id") == before)
            #expect(
                try String.fetchAll(db, sql: "SELECT webhook_id FROM inbox ORDER BY id")
                    == ["msg_c", "msg_a", "msg_d", "msg_b", "msg_0"]
            )
            // The webhook id is unique by an index; the account's events are found by theirs.
            let indexes = try Row.fetchAll(db, sql: "PRAGMA index_list(inbox)").map { ($0["name"] as String, $0["unique"] as Bool) }
            #expect(Set(indexes.map(\.0)) == ["inbox_webhook", "inbox_received", "inbox_account_received"])
            #expect(indexes.first { $0.0 == "inbox_webhook" }?.1 == true)
            let plan = try Row.fetchAll(
                db,
                sql: "EXPLAIN QUERY PLAN SELECT webhook_id FROM inbox WHERE account_id = 'acc_1' AND received_at >= 0 ORDER BY received_at DESC"
            ).map { $0["detail"] as String }
            #expect(plan.contains { $0.contains("inbox_account_received") }, "\(plan)")
        }
    }

    @Test("Once migrated, the writer and the readers keep temporary files in memory (migrations keep theirs on disk)")
    func temporaryStorage() async throws {
        let store = try SQLiteStore(configuration: .init(path: path))
        #expect(try await store.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") } == 2)
        #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") } == 2)
    }

    @Test("Retention deletes migrated events by age, in batches, and keeps the younger ones")
    func retentionAfterMigration() async throws {
        _ = try layOutBeforeRowKey()
        let store = try SQLiteStore(configuration: .init(path: path))
        let cutoffs = RetentionCutoffs(finished: Date(timeIntervalSince1970: 1_795_685_035), processedUpdates: now)
        #expect(try await store.deleteFinished(cutoffs, batch: 2)[.events] == 2)
        #expect(try await store.deleteFinished(cutoffs, batch: 2)[.events] == 1)
        #expect(try await store.deleteFinished(cutoffs, batch: 2)[.events] == 0)
        #expect(try await store.containsEvent(id: "msg_b"))
        #expect(try await store.eventCount() == 1)
    }
}
