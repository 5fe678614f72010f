import Foundation
import RebindCore
import RebindSQLite
import Testing

@Suite("SQLite store")
struct SQLiteStoreTests {
    let directory: URL
    let store: SQLiteStore
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-sqlite-\(UUID().uuidString)")
        store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("rebind.sqlite").path))
    }

    func incoming(_ id: String, type: EventType = .robotPaused, robot: String = "rb_7", cause: Cause? = .permissionMissing, at offset: TimeInterval = 0) -> IncomingEvent {
        let event = RobotEvent(
            type: type, occurredAt: now,
            user: .init(id: "u_1001", telegramChatId: 42), account: .init(id: "acc_42", exchange: "binance", apiKeyHint: "h8A"),
            robot: .init(id: robot, name: "Grid \(robot)"),
            reason: type.reportsHalt ? .init(text: "Pause: Invalid API key operation permission") : nil)
        return IncomingEvent(id: id, event: event, cause: type.reportsHalt ? cause : nil, body: Data("{}".utf8), receivedAt: now.addingTimeInterval(offset))
    }

    @Test("A stored event opens its incident and queues its announcement in the same commit")
    func storesEverything() async throws {
        #expect(try await store.ingest(incoming("e1")) == .stored(cause: .permissionMissing))
        #expect(try await store.containsEvent(id: "e1"))
        let open = try await store.openIncidents(userID: "u_1001", accountID: "acc_42")
        #expect(open.map(\.id) == ["e1"])
        #expect(open.first?.robots.map(\.name) == ["Grid rb_7"])
        #expect(try await store.pendingNotices().map(\.notice) == [.announce(incidentID: "e1", at: now.addingTimeInterval(10))])
    }

    @Test("A repeated webhook-id is a duplicate that creates nothing and reports the first cause")
    func duplicates() async throws {
        _ = try await store.ingest(incoming("e1"))
        let again = try await store.ingest(incoming("e1", robot: "rb_other", cause: .keyDeleted))
        #expect(again == .duplicate(cause: .permissionMissing))
        #expect(try await store.eventCount() == 1)
        #expect(try await store.openIncidents(userID: "u_1001", accountID: "acc_42").first?.robots.count == 1)
        #expect(try await store.pendingNotices().count == 1)
    }

    @Test("Events of a burst join one incident; resuming every robot resolves it")
    func lifecycle() async throws {
        _ = try await store.ingest(incoming("e1", robot: "rb_7"))
        _ = try await store.ingest(incoming("e2", robot: "rb_8", at: 2))
        #expect(try await store.openIncidents(userID: "u_1001", accountID: "acc_42").first?.robots.map(\.id) == ["rb_7", "rb_8"])
        _ = try await store.ingest(incoming("e3", type: .robotResumed, robot: "rb_7", at: 60))
        _ = try await store.ingest(incoming("e4", type: .robotResumed, robot: "rb_8", at: 61))
        #expect(try await store.openIncidents(userID: "u_1001", accountID: "acc_42").isEmpty)
        let incident = try #require(try await store.incident(id: "e1"))
        #expect(incident.resolution == .robotsResumed)
        #expect(try await store.pendingNotices().map(\.notice) == [
            .announce(incidentID: "e1", at: now.addingTimeInterval(10)), .update(incidentID: "e1"), .resolve(incidentID: "e1"),
        ])
    }

    @Test("A created binding is kept for expiry tracking")
    func binding() async throws {
        var created = incoming("b1", type: .apiBindingCreated)
        created.event.robot = nil
        created.event.account.boundAt = now.addingTimeInterval(-86400)
        _ = try await store.ingest(created)
        let binding = try #require(try await store.binding(accountID: "acc_42"))
        #expect(binding.exchange == "binance")
        #expect(binding.apiKeyHint == "h8A")
        #expect(binding.boundAt == now.addingTimeInterval(-86400))
    }

    @Test("Thousands of concurrent ingests are all stored exactly once")
    func concurrent() async throws {
        let ids = (0..<2000).map { "c\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids + ids.prefix(200) {
                group.addTask { _ = try await store.ingest(incoming(id, robot: "r\(id.hashValue % 50)")) }
            }
            try await group.waitForAll()
        }
        #expect(try await store.eventCount() == 2000)
        #expect(try await store.openIncidents(userID: "u_1001", accountID: "acc_42").count == 1)
    }

    @Test("Data survives closing and reopening the database")
    func reopen() async throws {
        _ = try await store.ingest(incoming("e1"))
        let reopened = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("rebind.sqlite").path))
        #expect(try await reopened.containsEvent(id: "e1"))
        #expect(try await reopened.ingest(incoming("e1")).isDuplicate)
    }

    @Test("The durability setting reaches the connection that commits")
    func synchronous() async throws {
        #expect(try await store.synchronousLevel() == 1)
        let full = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("full.sqlite").path, synchronous: .full))
        #expect(try await full.synchronousLevel() == 2)
        _ = try await full.ingest(incoming("e1"))
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
