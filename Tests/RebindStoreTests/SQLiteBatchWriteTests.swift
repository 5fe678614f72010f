import Foundation
import GRDB
import RebindCore
import Testing

@testable import RebindSQLite

/// SQLite writes a batch of events in one transaction without a savepoint per event: an event
/// that fails must still fail alone, its batch mates stored with the outcomes they would have
/// had one at a time.
@Suite("SQLite store, events written as a batch")
struct SQLiteBatchWriteTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func paused(_ id: String, account: String) -> IncomingEvent {
        let event = RobotEvent(
            type: .robotPaused,
            occurredAt: now,
            user: .init(id: "u_\(account)", telegramChatId: 42),
            account: .init(id: account, exchange: "binance"),
            robot: .init(id: "rb_\(id)", name: "Grid \(id)"),
            reason: .init(text: "API expired or no permission")
        )
        return IncomingEvent(id: id, event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
    }

    @Test("An event that fails in a batch fails alone: the others are stored, each with its own outcome")
    func failingEventFailsAlone() async throws {
        try await withStore(.sqlite) { tested in
            let store = try #require(tested as? SQLiteStore)
            // An open incident of acc_bad that cannot be read: an event of that account fails.
            _ = try await store.ingest(paused("seed", account: "acc_bad"))
            try await store.pool.write { db in
                try db.execute(sql: "UPDATE incidents SET cause = 'not-a-cause' WHERE account_id = 'acc_bad'")
            }

            let batch = [
                paused("e1", account: "acc_1"), paused("bad", account: "acc_bad"), paused("e2", account: "acc_2"),
                paused("e1", account: "acc_1"),
            ]
            let outcomes = await SQLiteStore.write(batch, book: store.book, expiryPolicy: store.expiryPolicy, pool: store.pool)

            #expect(outcomes.count == 4)
            #expect(try outcomes[0].get() == .stored(cause: .keyExpired))
            #expect(throws: SQLiteStore.Error.self) { try outcomes[1].get() }
            #expect(try outcomes[2].get() == .stored(cause: .keyExpired))
            // The same id again later in the batch is a duplicate, as one at a time.
            #expect(try outcomes[3].get() == .duplicate(cause: .keyExpired))
            #expect(try await store.containsEvent(id: "e1"))
            #expect(try await store.containsEvent(id: "e2"))
            #expect(try await !store.containsEvent(id: "bad"))
            #expect(try await store.openIncidents(userID: "u_acc_1", accountID: "acc_1").map(\.id) == ["e1"])
            #expect(try await store.openIncidents(userID: "u_acc_2", accountID: "acc_2").map(\.id) == ["e2"])
            #expect(try await store.eventCount() == 3)
        }
    }

    @Test("A batch that succeeds stores every event, each building on the ones before it")
    func wholeBatch() async throws {
        try await withStore(.sqlite) { tested in
            let store = try #require(tested as? SQLiteStore)
            let batch = (0..<5).map { paused("e\($0)", account: "acc_same") }
            let outcomes = await SQLiteStore.write(batch, book: store.book, expiryPolicy: store.expiryPolicy, pool: store.pool)
            #expect(try outcomes.map { try $0.get() } == Array(repeating: .stored(cause: .keyExpired), count: 5))
            // Events of one account build on each other inside the batch: one incident, five robots.
            let open = try await store.openIncidents(userID: "u_acc_same", accountID: "acc_same")
            #expect(open.map(\.id) == ["e0"])
            #expect(open.first?.totals.robots == 5)
        }
    }
}
