import Foundation
import RebindCore
import Testing

@Suite("Store, events and incidents")
struct EventStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func incoming(
        _ id: String,
        type: EventType = .robotPaused,
        robot: String = "rb_7",
        cause: Cause? = .permissionMissing,
        at offset: TimeInterval = 0
    ) -> IncomingEvent {
        let event = RobotEvent(
            type: type,
            occurredAt: now,
            user: .init(id: "u_1001", telegramChatId: 42),
            account: .init(id: "acc_42", exchange: "binance", apiKeyHint: "h8A"),
            robot: .init(id: robot, name: "Grid \(robot)"),
            reason: type.reportsHalt ? .init(text: "Pause: Invalid API key operation permission") : nil
        )
        return IncomingEvent(
            id: id,
            event: event,
            cause: type.reportsHalt ? cause : nil,
            body: Data("{}".utf8),
            receivedAt: now.addingTimeInterval(offset)
        )
    }

    @Test("A stored event opens its incident and queues its announcement in the same commit", arguments: StoreKind.available)
    func storesEverything(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.ingest(incoming("e1")) == .stored(cause: .permissionMissing))
            #expect(try await store.containsEvent(id: "e1"))
            let open = try await store.openIncidents(userID: "u_1001", accountID: "acc_42")
            #expect(open.map(\.id) == ["e1"])
            #expect(open.first?.totals == Incident.Totals(robots: 1, halted: 1))
            #expect(try await store.robots(ofIncident: "e1", limit: nil).map(\.name) == ["Grid rb_7"])
            #expect(try await store.pendingNotices().map(\.notice) == [.announce(incidentID: "e1", at: now.addingTimeInterval(10))])
        }
    }

    @Test("A repeated webhook-id is a duplicate that creates nothing and reports the first cause", arguments: StoreKind.available)
    func duplicates(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(incoming("e1"))
            let again = try await store.ingest(incoming("e1", robot: "rb_other", cause: .keyDeleted))
            #expect(again == .duplicate(cause: .permissionMissing))
            #expect(try await store.eventCount() == 1)
            #expect(try await store.openIncidents(userID: "u_1001", accountID: "acc_42").first?.totals.robots == 1)
            #expect(try await store.robots(ofIncident: "e1", limit: nil).map(\.id) == ["rb_7"])
            #expect(try await store.pendingNotices().count == 1)
        }
    }

    @Test("Events of a burst join one incident; resuming every robot resolves it", arguments: StoreKind.available)
    func lifecycle(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(incoming("e1", robot: "rb_7"))
            _ = try await store.ingest(incoming("e2", robot: "rb_8", at: 2))
            #expect(try await store.robots(ofIncident: "e1", limit: nil).map(\.id) == ["rb_7", "rb_8"])
            _ = try await store.ingest(incoming("e3", type: .robotResumed, robot: "rb_7", at: 60))
            _ = try await store.ingest(incoming("e4", type: .robotResumed, robot: "rb_8", at: 61))
            #expect(try await store.openIncidents(userID: "u_1001", accountID: "acc_42").isEmpty)
            let incident = try #require(try await store.incident(id: "e1"))
            #expect(incident.resolution == .robotsResumed)
            #expect(
                try await store.pendingNotices().map(\.notice) == [
                    .announce(incidentID: "e1", at: now.addingTimeInterval(10)), .update(incidentID: "e1"), .resolve(incidentID: "e1"),
                ]
            )
        }
    }

    @Test("A created binding is kept for expiry tracking", arguments: StoreKind.available)
    func binding(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            var created = incoming("b1", type: .apiBindingCreated)
            created.event.robot = nil
            created.event.account.boundAt = now.addingTimeInterval(-86400)
            _ = try await store.ingest(created)
            let binding = try #require(try await store.binding(accountID: "acc_42"))
            #expect(binding.exchange == "binance")
            #expect(binding.apiKeyHint == "h8A")
            #expect(binding.boundAt == now.addingTimeInterval(-86400))
        }
    }

    @Test("api_binding.deleted forgets the binding and its exchange account; the account's open incidents stay", arguments: StoreKind.available)
    func bindingDeleted(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(incoming("e1"))
            var created = incoming("b1", type: .apiBindingCreated)
            created.event.robot = nil
            created.event.account.exchangeUID = "354937868"
            _ = try await store.ingest(created)
            #expect(try await store.binding(accountID: "acc_42") != nil)
            #expect(try await store.exchangeUID(accountID: "acc_42") == "354937868")
            var deleted = incoming("b2", type: .apiBindingDeleted)
            deleted.event.robot = nil
            deleted.event.reason = nil
            _ = try await store.ingest(deleted)
            #expect(try await store.binding(accountID: "acc_42") == nil)
            #expect(try await store.exchangeUID(accountID: "acc_42") == nil)
            #expect(try await store.openIncidents(userID: "u_1001", accountID: "acc_42").count == 1)
        }
    }

    @Test("Thousands of concurrent ingests are all stored exactly once", arguments: StoreKind.available)
    func concurrent(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
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
    }

    @Test("Data survives closing and reopening the database", arguments: StoreKind.available)
    func reopen(_ kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            _ = try await fixture.store.ingest(incoming("e1"))
            let reopened = try await fixture.another()
            #expect(try await reopened.containsEvent(id: "e1"))
            #expect(try await reopened.ingest(incoming("e1")).isDuplicate)
        }
    }
}
