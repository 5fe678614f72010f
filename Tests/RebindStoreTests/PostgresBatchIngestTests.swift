import Foundation
import PostgresNIO
import RebindCore
import Testing

@testable import RebindPostgres

/// PostgreSQL writes concurrent events as one batch with multi-row statements; a batch must
/// store exactly what the same events store one transaction at a time.
@Suite("PostgreSQL store, events written as a batch", .enabled(if: StoreKind.postgresURL != nil))
struct PostgresBatchIngestTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func event(
        _ id: String,
        _ type: EventType,
        account: String,
        robot: String? = nil,
        cause: Cause? = .keyExpired,
        user: RobotEvent.User = .init(id: "u_1"),
        at offset: TimeInterval
    ) -> IncomingEvent {
        let event = RobotEvent(
            type: type,
            occurredAt: now,
            user: user,
            account: .init(id: account, exchange: "binance"),
            robot: robot.map {
                .init(id: $0, name: "Grid \($0)", market: .futures, openPositions: 2, exposure: .init(amount: "10.5", currency: "USDT"))
            },
            reason: type.reportsHalt ? .init(text: "API expired or no permission") : nil
        )
        return IncomingEvent(
            id: id,
            event: event,
            cause: type.reportsHalt ? cause : nil,
            body: Data("{\"id\":\"\(id)\"}".utf8),
            receivedAt: now.addingTimeInterval(offset)
        )
    }

    /// Stored before the batch: an open incident of acc_c with robot r1, announced already.
    var before: [IncomingEvent] {
        [event("p0", .robotPaused, account: "acc_c", robot: "r1", at: -3_600), event("p1", .robotPaused, account: "acc_c", robot: "r2", at: -3_500)]
    }

    /// One batch with what can meet in one: events of one account building on each other, an
    /// id repeated inside the batch and one stored before it, an incident withdrawn and a new
    /// one of the same cause opened after it, a robot of an incident stored before the batch
    /// halting again and resuming, a binding update resolving an incident, a user's chat
    /// learnt from a later event, a second cause.
    var batch: [IncomingEvent] {
        [
            event("a1", .robotPaused, account: "acc_a", robot: "r1", at: 0),
            event("a2", .robotPaused, account: "acc_a", robot: "r2", at: 1),
            event("a1", .robotPaused, account: "acc_a", robot: "r1", at: 2),
            event("p0", .robotPaused, account: "acc_c", robot: "r1", at: 3),
            event("a3", .robotResumed, account: "acc_a", robot: "r1", at: 4),
            event("c1", .robotStopped, account: "acc_c", robot: "r1", at: 5),
            event("a4", .robotResumed, account: "acc_a", robot: "r2", at: 6),
            event("a5", .robotPaused, account: "acc_a", robot: "r3", at: 7),
            event("b1", .robotPaused, account: "acc_b", robot: "r9", cause: .ipNotAllowed, user: .init(id: "u_2"), at: 8),
            event("b2", .robotPaused, account: "acc_b", robot: "r8", user: .init(id: "u_2", locale: "zh-Hans", telegramChatId: 42), at: 9),
            event("c2", .robotResumed, account: "acc_c", robot: "r2", at: 10),
            event("b3", .apiBindingUpdated, account: "acc_b", user: .init(id: "u_2"), at: 11),
            event("a6", .robotPaused, account: "acc_a", robot: "r3", at: 12),
            // A user's Slack identity from one event, their language from a later one: both kept.
            event("s1", .robotPaused, account: "acc_s", robot: "r1", user: .init(id: "u_3", slack: .init(teamId: "T1", userId: "U1")), at: 13),
            event("s2", .robotPaused, account: "acc_s", robot: "r2", user: .init(id: "u_3", locale: "en"), at: 14),
            event("s3", .robotPaused, account: "acc_s", robot: "r3", user: .init(id: "u_3", locale: "zh-Hans"), at: 15),
        ]
    }

    struct Stored: Equatable {
        var events: Int
        var incidents: [Incident]
        var robots: [String: [Incident.AffectedRobot]]
        var notices: [String]
        var user: [String]
    }

    func contents(of store: PostgresStore) async throws -> Stored {
        let incidents = try await store.withConnection { connection in
            try await connection.all("SELECT * FROM incidents ORDER BY id", logger: store.logger, table: "incidents", PostgresStore.incident(from:))
        }
        var robots: [String: [Incident.AffectedRobot]] = [:]
        for incident in incidents { robots[incident.id] = try await store.robots(ofIncident: incident.id, limit: nil) }
        let notices = try await store.withConnection { connection in
            try await connection.all(
                "SELECT incident_id, kind, due_at, created_at, priority, status FROM notices ORDER BY incident_id, created_at, kind",
                logger: store.logger,
                table: "notices"
            ) { row in
                "\(try row("incident_id", as: String.self)) \(try row("kind", as: String.self)) \(try row("due_at", as: Double.self)) \(try row("created_at", as: Double.self)) \(try row("priority", as: Int.self)) \(try row("status", as: String.self))"
            }
        }
        let users = try await store.withConnection { connection in
            try await connection.all(
                "SELECT id, locale, telegram_chat_id, slack_team_id, slack_user_id, updated_at FROM users ORDER BY id",
                logger: store.logger,
                table: "users"
            ) { row in
                "\(try row("id", as: String.self)) \(try row("locale", as: String?.self) ?? "-") \(try row("telegram_chat_id", as: Int64?.self) ?? 0)"
                    + " \(try row("slack_team_id", as: String?.self) ?? "-")/\(try row("slack_user_id", as: String?.self) ?? "-")"
                    + " \(try row("updated_at", as: Double.self))"
            }
        }
        return Stored(events: try await store.eventCount(), incidents: incidents, robots: robots, notices: notices, user: users)
    }

    @Test("A batch in one transaction stores what its events one transaction each store, and gives each event the same outcome")
    func sameAsOneByOne() async throws {
        try await withFixture(.postgres) { batched in
            try await withFixture(.postgres) { single in
                let stores = [batched.store, single.store].compactMap { $0 as? PostgresStore }
                try #require(stores.count == 2)
                for store in stores {
                    for incoming in before { _ = try await store.ingest(incoming) }
                }
                let batch = batch
                let store = stores[0]
                let batchOutcomes = try await store.transaction { connection in
                    try await PostgresStore.ingest(
                        batch: batch,
                        book: store.book,
                        expiryPolicy: store.configuration.expiryPolicy,
                        on: connection,
                        logger: store.logger
                    )
                }
                let alone = stores[1]
                var singleOutcomes: [IngestOutcome] = []
                for incoming in batch {
                    singleOutcomes.append(
                        try await alone.transaction { connection in
                            try await PostgresStore.ingest(
                                batch: [incoming],
                                book: alone.book,
                                expiryPolicy: alone.configuration.expiryPolicy,
                                on: connection,
                                logger: alone.logger
                            )[0]
                        }
                    )
                }
                #expect(batchOutcomes == singleOutcomes)
                #expect(batchOutcomes[2] == .duplicate(cause: .keyExpired) && batchOutcomes[3] == .duplicate(cause: .keyExpired))
                let expected = try await contents(of: alone)
                let got = try await contents(of: store)
                #expect(got == expected)
                // The case the order of the writes is for: a1's incident withdrawn, a5's open.
                #expect(expected.incidents.contains { $0.id == "a1" && $0.resolution == .robotsResumed })
                #expect(expected.incidents.contains { $0.id == "a5" && $0.isOpen && $0.totals.robots == 1 })
                #expect(expected.incidents.contains { $0.id == "p0" && $0.totals.robots == 2 && $0.totals.halted == 1 })
                #expect(expected.incidents.contains { $0.id == "b2" && $0.resolution == .bindingUpdated })
                #expect(try await store.binding(accountID: "acc_b") != nil)
                #expect(expected.events == 2 + 14)
                #expect(expected.user.contains { $0.hasPrefix("u_3 zh-Hans 0 T1/U1 ") }, "\(expected.user)")
                #expect(expected.user.contains { $0.hasPrefix("u_2 zh-Hans 42 -/- ") }, "\(expected.user)")
            }
        }
    }

    @Test("Concurrent events are written together: every one stored once, grouped as one at a time would")
    func concurrentBatches() async throws {
        try await withStore(.postgres) { store in
            let events = (0..<600).map { index in
                event("e\(index)", .robotPaused, account: "acc_\(index % 40)", robot: "r\(index % 7)", at: Double(index) / 1_000)
            }
            try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                for incoming in events + events.prefix(50) { group.addTask { try await store.ingest(incoming) } }
                var stored = 0
                for try await outcome in group where !outcome.isDuplicate { stored += 1 }
                #expect(stored == 600)
            }
            #expect(try await store.eventCount() == 600)
            for account in 0..<40 {
                let open = try await store.openIncidents(userID: "u_1", accountID: "acc_\(account)")
                #expect(open.count == 1)
                #expect(open.first?.totals.robots == 7)
            }
            #expect(try await store.pendingNotices().count == 40)
        }
    }

    @Test(
        "A batch reads its accounts' open incidents and their robot rows one index probe each, however many are open and whatever PostgreSQL's statistics hold"
    )
    func readsByIndexProbes() async throws {
        try await withStore(.postgres) { store in
            let store = try #require(store as? PostgresStore)
            // 5,000 open incidents of one robot each, in tables PostgreSQL has no statistics of
            // yet: a young database, or the first minute of an exchange-wide purge. Autovacuum is
            // off for them, so it cannot analyse them while the test runs.
            try await store.withConnection { connection in
                try await connection.run("ALTER TABLE incidents SET (autovacuum_enabled = false)", logger: store.logger)
                try await connection.run("ALTER TABLE incident_robots SET (autovacuum_enabled = false)", logger: store.logger)
                try await connection.run(
                    """
                    INSERT INTO incidents (id, user_id, account_id, exchange, cause, reason, opened_at, announce_at)
                    SELECT 'i' || n, 'u_1', 'acc_' || n, 'binance', 'key_expired', '{"text":"API expired"}', n, n FROM generate_series(1, 5000) AS n
                    """,
                    logger: store.logger
                )
                try await connection.run(
                    """
                    INSERT INTO incident_robots (incident_id, robot_id, position, name, state)
                    SELECT 'i' || n, 'r1', 0, 'Grid', 'paused' FROM generate_series(1, 5000) AS n
                    """,
                    logger: store.logger
                )
            }
            let accounts = Set((1...16).map { IncidentBatch.Account(userID: "u_1", accountID: "acc_\($0 * 300)") })
            let open = try await store.withConnection { connection in
                try await PostgresStore.openIncidents(of: accounts, on: connection, logger: store.logger)
            }
            #expect(Set(open.map(\.id)) == Set((1...16).map { "i\($0 * 300)" }))
            #expect(try await rowsRead(from: "incidents", by: PostgresStore.openIncidentsQuery(of: accounts), in: store) == 16)
            let held = Set(open.map { PostgresStore.HeldRobot(incidentID: $0.id, robotID: "r1") })
            #expect(try await rowsRead(from: "incident_robots", by: PostgresStore.robotRowsQuery(held), in: store) == 16)
        }
    }

    @Test("A transaction runs on its connection's event loop, before and after each statement it awaits")
    func transactionOnItsEventLoop() async throws {
        try await withStore(.postgres) { store in
            let store = try #require(store as? PostgresStore)
            let onLoop = try await store.transaction { connection in
                var onLoop = [connection.eventLoop.inEventLoop]
                for _ in 0..<3 {
                    try await connection.run("SELECT 1", logger: store.logger)
                    onLoop.append(connection.eventLoop.inEventLoop)
                }
                return onLoop
            }
            // Off the loop, each reply would wake a pool thread to send the next statement.
            #expect(onLoop == [true, true, true, true])
        }
    }

    @Test("A binding update racing a key applied for a new binding leaves the warnings of the binding's final expiry")
    func bindingRaceKeepsWarningsOfItsExpiry() async throws {
        try await withStore(.postgres) { store in
            let store = try #require(store as? PostgresStore)
            let day: TimeInterval = 86_400
            // The platform's update: a Binance key bound 55 days ago, so warnings for its 90th day.
            let update = RobotEvent(
                type: .apiBindingUpdated,
                occurredAt: now,
                user: .init(id: "u_1"),
                account: .init(id: "acc_r", exchange: "binance", apiKeyHint: "h8A", boundAt: now.addingTimeInterval(-55 * day))
            )
            let other = now.addingTimeInterval(20 * day).timeIntervalSince1970
            try await store.withConnection { applier in
                // Another transaction creates the binding with its own expiry and warnings, and
                // has not committed when the update's upsert meets its row.
                try await applier.run("BEGIN", logger: store.logger)
                try await applier.run(
                    """
                    INSERT INTO bindings (account_id, user_id, exchange, updated_at, expires_at, expiry_source)
                    VALUES ('acc_r', 'u_1', 'binance', \(now.timeIntervalSince1970), \(other), 'exchange')
                    """,
                    logger: store.logger
                )
                try await applier.run(
                    """
                    INSERT INTO expiry_warnings (account_id, days, user_id, expires_at, due_at)
                    SELECT 'acc_r', days, 'u_1', \(other), \(other) - days * 86400 FROM unnest(ARRAY[7, 3, 1]) AS days
                    """,
                    logger: store.logger
                )
                let ingest = Task {
                    try await store.ingest(IncomingEvent(id: "race", event: update, cause: nil, body: Data("{}".utf8), receivedAt: now))
                }
                // Committed only once the update waits on the row (a lock wait PostgreSQL shows).
                var waiting = false
                for _ in 0..<1_000 where !waiting {
                    waiting = try await store.withConnection { watcher in
                        try await watcher.first(
                            """
                            SELECT count(*) AS waiting FROM pg_stat_activity
                            WHERE datname = current_database() AND wait_event_type = 'Lock'
                            """,
                            logger: store.logger,
                            table: "pg_stat_activity",
                            { try $0("waiting", as: Int.self) }
                        ) == 1
                    }
                    if !waiting { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(waiting, "the update never waited on the uncommitted binding")
                try await applier.run("COMMIT", logger: store.logger)
                _ = try await ingest.value
            }
            let (bindingExpiry, warningExpiries) = try await store.withConnection { connection in
                let binding = try await connection.first(
                    "SELECT expires_at FROM bindings WHERE account_id = 'acc_r'",
                    logger: store.logger,
                    table: "bindings",
                    { try $0("expires_at", as: Double?.self) }
                )
                let warnings = try await connection.all(
                    "SELECT expires_at FROM expiry_warnings WHERE account_id = 'acc_r'",
                    logger: store.logger,
                    table: "expiry_warnings",
                    { try $0("expires_at", as: Double.self) }
                )
                return (binding ?? nil, warnings)
            }
            // The update won: its expiry, and warnings for it alone, none left of the other's.
            let expiry = try #require(bindingExpiry)
            #expect(expiry != other)
            #expect(!warningExpiries.isEmpty)
            #expect(warningExpiries.allSatisfy { $0 == expiry }, "warnings for \(warningExpiries), binding expires \(expiry)")
        }
    }

    /// The rows of `table` PostgreSQL read to run `query` (`EXPLAIN ANALYZE`: every scan of the
    /// table, the rows it returned and those its filter or recheck dropped, times its loops; the
    /// counts are averages per loop).
    func rowsRead(from table: String, by query: PostgresQuery, in store: PostgresStore) async throws -> Int {
        let explain = PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, FORMAT JSON) " + query.sql, binds: query.binds)
        let text = try await store.withConnection { connection in
            var text = ""
            for try await plan in try await connection.query(explain, logger: store.logger).decode(ByteBuffer.self) {
                text += String(buffer: plan)
            }
            return text
        }
        let plans = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "\(text)")
        func read(_ node: [String: Any]) -> Double {
            func count(_ key: String) -> Double { (node[key] as? NSNumber)?.doubleValue ?? 0 }
            let rows = count("Actual Rows") + count("Rows Removed by Filter") + count("Rows Removed by Index Recheck")
            let own = node["Relation Name"] as? String == table ? rows * count("Actual Loops") : 0
            return own + (node["Plans"] as? [[String: Any]] ?? []).map(read).reduce(0, +)
        }
        let root = try #require(plans.first?["Plan"] as? [String: Any], "\(text)")
        return Int(read(root).rounded())
    }
}
