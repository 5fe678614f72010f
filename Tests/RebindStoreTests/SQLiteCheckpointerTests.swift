import Foundation
import RebindCore
import RebindSQLite
import Testing

@Suite("SQLite checkpoints beside the writer")
struct SQLiteCheckpointerTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-checkpoint-\(UUID().uuidString)")
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    /// Events of distinct accounts, one commit each: each commit adds a few pages to the log.
    func ingest(_ count: Int, prefix: String, into store: SQLiteStore) async throws {
        for index in 0..<count {
            let event = RobotEvent(
                type: .robotPaused,
                occurredAt: now,
                user: .init(id: "u_\(prefix)\(index)"),
                account: .init(id: "acc_\(prefix)\(index)", exchange: "binance"),
                robot: .init(id: "rb_1", name: "Grid"),
                reason: .init(text: "API expired or no permission")
            )
            let incoming = IncomingEvent(id: "\(prefix)\(index)", event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
            #expect(try await store.ingest(incoming) == .stored(cause: .keyExpired))
        }
    }

    @Test("While a checkpointer runs, the writer leaves the log to it until the backstop, and it copies the whole log into the file")
    func takesOver() async throws {
        let store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("rebind.sqlite").path))
        let checkpointer = try store.makeCheckpointer()

        // Alone, the writer checkpoints once the log passes 1,000 pages, so the log never holds
        // much more than that.
        #expect(try await checkpointer.writerThreshold() == SQLiteCheckpointer.defaultPages)
        try await ingest(400, prefix: "a", into: store)
        let alone = try await checkpointer.checkpoint()
        #expect(alone.inLog < 1_500, "\(alone)")

        // With the checkpointer in charge, the writer lets the log grow past that: nothing
        // but the checkpointer copies it.
        try await checkpointer.takeOver()
        #expect(try await checkpointer.writerThreshold() == SQLiteCheckpointer.backstopPages)
        try await ingest(400, prefix: "b", into: store)
        let taken = try await checkpointer.checkpoint()
        #expect(taken.inLog > 1_500, "\(taken)")
        #expect(taken.copied == taken.inLog, "\(taken)")

        // Every event is there, read back through the store.
        #expect(try await store.eventCount() == 800)
        #expect(try await store.openIncidents(userID: "u_b399", accountID: "acc_b399").count == 1)

        try checkpointer.handBack()
        #expect(try await checkpointer.writerThreshold() == SQLiteCheckpointer.defaultPages)
    }

    @Test("With full durability the checkpointer's connection syncs as the writer does")
    func fullDurability() async throws {
        let store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("full.sqlite").path, synchronous: .full))
        let checkpointer = try store.makeCheckpointer()
        #expect(try await checkpointer.synchronousLevel() == 2)
        try await ingest(20, prefix: "f", into: store)
        let frames = try await checkpointer.checkpoint()
        #expect(frames.copied == frames.inLog)
        #expect(try await store.synchronousLevel() == 2)
    }
}
