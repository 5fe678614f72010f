import Foundation
import GRDB
import PostgresNIO
import RebindCore
import Testing

@testable import RebindPostgres
@testable import RebindSQLite

@Suite("Store, an incident's robots as rows and their totals")
struct IncidentRobotsStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func incoming(
        _ id: String,
        type: EventType = .robotPaused,
        robot: String,
        market: RobotEvent.Robot.Market? = nil,
        openPositions: Int? = nil,
        exposure: RobotEvent.Robot.Exposure? = nil,
        at offset: TimeInterval = 0
    ) -> IncomingEvent {
        let event = RobotEvent(
            type: type,
            occurredAt: now,
            user: .init(id: "u_1"),
            account: .init(id: "acc_1", exchange: "binance"),
            robot: .init(id: robot, name: "Grid \(robot)", market: market, openPositions: openPositions, exposure: exposure),
            reason: type.reportsHalt ? .init(text: "API expired or no permission") : nil
        )
        return IncomingEvent(
            id: id,
            event: event,
            cause: type.reportsHalt ? .keyExpired : nil,
            body: Data("{}".utf8),
            receivedAt: now.addingTimeInterval(offset)
        )
    }

    @Test("Each event writes its robot's row and the incident's totals; readers get the rows in halt order", arguments: StoreKind.available)
    func rowsAndTotals(_ kind: StoreKind) async throws {
        try await withFixture(kind) { fixture in
            let store = fixture.store
            _ = try await store.ingest(
                incoming("e1", robot: "rb_7", market: .futures, openPositions: 2, exposure: .init(amount: "100.50", currency: "USDT"))
            )
            _ = try await store.ingest(incoming("e2", robot: "rb_8", openPositions: 1, exposure: .init(amount: "0.25", currency: "BTC"), at: 1))
            _ = try await store.ingest(incoming("e3", robot: "rb_9", at: 2))
            // rb_7 stops with other figures; rb_8 resumes.
            _ = try await store.ingest(
                incoming(
                    "e4",
                    type: .robotStopped,
                    robot: "rb_7",
                    market: .spot,
                    openPositions: 5,
                    exposure: .init(amount: "1", currency: "BTC"),
                    at: 60
                )
            )
            _ = try await store.ingest(incoming("e5", type: .robotResumed, robot: "rb_8", at: 61))

            let expected = Incident.Totals(robots: 3, halted: 2, haltedFutures: 0, openPositions: 5, exposure: ["BTC": 1])
            let open = try #require(try await store.openIncidents(userID: "u_1", accountID: "acc_1").first)
            #expect(open.totals == expected)
            #expect(open.isUrgent)
            #expect(
                try await store.robots(ofIncident: "e1", limit: nil) == [
                    .init(
                        id: "rb_7",
                        name: "Grid rb_7",
                        state: .stopped,
                        futures: false,
                        openPositions: 5,
                        exposure: .init(amount: "1", currency: "BTC")
                    ),
                    .init(id: "rb_8", name: "Grid rb_8", state: .resumed, openPositions: 1, exposure: .init(amount: "0.25", currency: "BTC")),
                    .init(id: "rb_9", name: "Grid rb_9", state: .paused),
                ]
            )
            #expect(try await store.robots(ofIncident: "e1", limit: 2).map(\.id) == ["rb_7", "rb_8"])
            let context = try #require(try await store.deliveryContexts(incidentIDs: ["e1"], robotLimit: 1)["e1"])
            #expect(context.incident.totals == expected)
            #expect(context.robots.map(\.id) == ["rb_7"])
            #expect(try await store.openIncidents(ofUser: "u_1").map(\.totals) == [expected])

            // The totals read back exactly after a restart; resuming the last halted robots resolves.
            let reopened = try await fixture.another()
            #expect(try await reopened.incident(id: "e1")?.totals == expected)
            _ = try await reopened.ingest(incoming("e6", type: .robotResumed, robot: "rb_7", at: 62))
            _ = try await reopened.ingest(incoming("e7", type: .robotResumed, robot: "rb_9", at: 63))
            let resolved = try #require(try await reopened.incident(id: "e1"))
            #expect(resolved.resolution == .robotsResumed)
            #expect(resolved.totals == Incident.Totals(robots: 3, halted: 0))
        }
    }

    @Test("Robots are listed in the order they halted, not by their ids, with a limit too", arguments: StoreKind.available)
    func haltOrderNotIDOrder(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            // No index orders the rows by position (v15/v16): the listing must sort them.
            for (offset, robot) in ["rb_9", "rb_10", "rb_1", "rb_5"].enumerated() {
                _ = try await store.ingest(incoming("e\(offset)", robot: robot, at: TimeInterval(offset)))
            }
            #expect(try await store.robots(ofIncident: "e0", limit: nil).map(\.id) == ["rb_9", "rb_10", "rb_1", "rb_5"])
            #expect(try await store.robots(ofIncident: "e0", limit: 3).map(\.id) == ["rb_9", "rb_10", "rb_1"])
            let context = try #require(try await store.deliveryContexts(incidentIDs: ["e0"], robotLimit: 2)["e0"])
            #expect(context.robots.map(\.id) == ["rb_9", "rb_10"])
        }
    }

    @Test("A robot that halts again after resuming keeps its place and counts again", arguments: StoreKind.available)
    func rePause(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(incoming("e1", robot: "rb_7"))
            _ = try await store.ingest(incoming("e2", robot: "rb_8", at: 1))
            _ = try await store.ingest(incoming("e3", type: .robotResumed, robot: "rb_7", at: 60))
            _ = try await store.ingest(incoming("e4", robot: "rb_7", openPositions: 3, at: 120))
            #expect(try await store.incident(id: "e1")?.totals == Incident.Totals(robots: 2, halted: 2, openPositions: 3))
            #expect(try await store.robots(ofIncident: "e1", limit: nil).map(\.id) == ["rb_7", "rb_8"])
        }
    }

    /// An incident as the store before v11 (SQLite) and v12 (PostgreSQL) left it: its robots a
    /// JSON list in `incidents.robots`.
    static let listedRobots = """
        [{"id":"rb_7","name":"Grid","state":"paused","futures":true,"openPositions":2,"exposure":{"amount":"1000.25","currency":"USDT"}},\
        {"id":"rb_8","name":"DCA","state":"resumed","openPositions":5,"exposure":{"amount":"3","currency":"USDT"}},\
        {"id":"rb_9","name":"Perp","state":"stopped","exposure":{"amount":"999.75","currency":"USDT"}},\
        {"id":"rb_10","name":"Spot","state":"paused","futures":false,"exposure":{"amount":"0.5","currency":"BTC"}}]
        """

    static let oldIncident = """
        INSERT INTO incidents (id, user_id, account_id, exchange, cause, robots, reason, opened_at, announce_at)
        VALUES ('old', 'u_1', 'acc_1', 'binance', 'key_expired', '\(listedRobots)', '{"text":"API expired or no permission"}',
                1795685000, 1795685010)
        """

    /// Lays out the database as it was before robots had rows, holding `oldIncident`.
    static func layOutBeforeRobotRows(_ kind: StoreKind, place: String) async throws {
        switch kind {
        case .sqlite:
            let queue = try SQLiteStore.queue(at: place, before: "v11_incident_robots")
            try await queue.write { try $0.execute(sql: oldIncident) }
            try queue.close()
        case .postgres:
            let earlier = PostgresStore.migrations.prefix { $0.version != "v12_incident_robots" }
            let logger = Logger(label: "rebind.test")
            try await PostgresTesting.withClient(schema: place) { client in
                try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(place)"))
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                        logger: logger
                    )
                    for migration in earlier {
                        for statement in migration.statements {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))", logger: logger)
                    }
                    try await connection.query(PostgresQuery(unsafeSQL: oldIncident), logger: logger)
                }
            }
        }
    }

    @Test("Robots listed in an incident's JSON before they had rows become rows in order, with their totals", arguments: StoreKind.available)
    func migratesListedRobots(_ kind: StoreKind) async throws {
        try await withFixture(kind, prepare: { try await Self.layOutBeforeRobotRows(kind, place: $0) }) { fixture in
            let store = fixture.store
            let incident = try #require(try await store.incident(id: "old"))
            #expect(
                incident.totals
                    == Incident.Totals(
                        robots: 4,
                        halted: 3,
                        haltedFutures: 1,
                        openPositions: 2,
                        exposure: ["USDT": 2000, "BTC": Decimal(string: "0.5")!]
                    )
            )
            #expect(
                try await store.robots(ofIncident: "old", limit: nil) == [
                    .init(
                        id: "rb_7",
                        name: "Grid",
                        state: .paused,
                        futures: true,
                        openPositions: 2,
                        exposure: .init(amount: "1000.25", currency: "USDT")
                    ),
                    .init(id: "rb_8", name: "DCA", state: .resumed, openPositions: 5, exposure: .init(amount: "3", currency: "USDT")),
                    .init(id: "rb_9", name: "Perp", state: .stopped, exposure: .init(amount: "999.75", currency: "USDT")),
                    .init(id: "rb_10", name: "Spot", state: .paused, futures: false, exposure: .init(amount: "0.5", currency: "BTC")),
                ]
            )
            // Events carry on from the migrated rows: rb_8 halts again in its place, a new robot comes last.
            _ = try await store.ingest(incoming("e1", robot: "rb_8", at: 60))
            _ = try await store.ingest(incoming("e2", robot: "rb_11", at: 61))
            #expect(try await store.robots(ofIncident: "old", limit: nil).map(\.id) == ["rb_7", "rb_8", "rb_9", "rb_10", "rb_11"])
            #expect(try await store.incident(id: "old")?.totals.halted == 5)
        }
    }
}
