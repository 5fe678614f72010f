import Foundation
import RebindCore
import RebindSQLite
import Testing

@Suite("SQLite store, its own settings")
struct SQLiteStoreTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-sqlite-\(UUID().uuidString)")
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    @Test("The durability setting reaches the connection that commits")
    func synchronous() async throws {
        let store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("rebind.sqlite").path))
        #expect(try await store.synchronousLevel() == 1)
        let full = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("full.sqlite").path, synchronous: .full))
        #expect(try await full.synchronousLevel() == 2)
        let event = RobotEvent(
            type: .robotPaused,
            occurredAt: now,
            user: .init(id: "u_1"),
            account: .init(id: "acc_1", exchange: "binance"),
            robot: .init(id: "rb_1", name: "Grid"),
            reason: .init(text: "API expired or no permission")
        )
        _ = try await full.ingest(IncomingEvent(id: "e1", event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now))
        #expect(try await full.synchronousLevel() == 2)
    }

    @Test("A database that cannot be opened gives an error naming its path")
    func unopenable() throws {
        let blocker = directory.appendingPathComponent("file")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: blocker.path, contents: Data()))
        do {
            _ = try SQLiteStore(configuration: .init(path: blocker.appendingPathComponent("db.sqlite").path))
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).contains(blocker.path))
        }
    }
}
