import Foundation
import PostgresNIO
import RebindCore
import Testing

@testable import RebindPostgres

@Suite("PostgreSQL store, configuration and errors")
struct PostgresConfigurationTests {
    @Test("A database URL gives the server, database, user and TLS mode; its redacted form hides the password")
    func parsesURL() throws {
        let configuration = try PostgresStore.Configuration(url: "postgres://rebind:s%3Acret@db.internal:6543/rebind?sslmode=disable&schema=tenant_1")
        #expect(configuration.host == "db.internal")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "rebind")
        #expect(configuration.password?.value == "s:cret")
        #expect(configuration.database == "rebind")
        #expect(configuration.tls == .disable)
        #expect(configuration.schema == "tenant_1")
        #expect(configuration.redactedURL == "postgres://rebind:***@db.internal:6543/rebind")
        #expect(!"\(configuration.password!)".contains("cret"))
        #expect(try PostgresStore.Configuration(url: "postgresql://u@localhost/db").tls == .prefer)
        #expect(try PostgresStore.Configuration(url: "postgres://u@127.0.0.1:5432/db").tls == .prefer)
    }

    @Test("Off this machine, TLS is required unless the URL says otherwise: prefer would fall back to plaintext")
    func tlsOffLoopback() throws {
        #expect(try PostgresStore.Configuration(url: "postgres://u:p@db.internal/rebind").tls == .require)
        #expect(try PostgresStore.Configuration(url: "postgres://u:p@10.0.0.5/rebind").tls == .require)
        #expect(try PostgresStore.Configuration(url: "postgres://u:p@db.internal/rebind?sslmode=disable").tls == .disable)
        #expect(try PostgresStore.Configuration(url: "postgres://u:p@db.internal/rebind?sslmode=prefer").tls == .prefer)
    }

    @Test(
        "A bad URL is refused with a reason that never repeats the password",
        arguments: [
            "mysql://u:hunter2@h/db", "postgres://:hunter2@h/db", "postgres://u:hunter2@/db", "postgres://u:hunter2@h/db?sslmode=maybe",
            "postgres://u:hunter2@h/db?schema=Robert%27)%3B%20DROP", "postgres://u:hunter2@h/db?password=x",
        ]
    )
    func refusesBadURL(_ url: String) {
        #expect(throws: PostgresStore.Error.self) { try PostgresStore.Configuration(url: url) }
        do {
            _ = try PostgresStore.Configuration(url: url)
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test("An unreachable server fails readiness and ingest quickly, naming the server but not the password")
    func unreachable() async throws {
        var configuration = try PostgresStore.Configuration(url: "postgres://rebind:hunter2@127.0.0.1:1/rebind?sslmode=disable")
        configuration.connectionWait = .milliseconds(500)
        let store = PostgresStore(configuration: configuration)
        // The pool runs (and tries to connect) as it would in the service; the test's scope owns it.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            do {
                try await store.checkReady()
                Issue.record("expected an error")
            } catch {
                let text = String(describing: error)
                #expect(text.contains("127.0.0.1:1/rebind"), "\(text)")
                #expect(text.contains("cannot be reached"), "\(text)")
                // The configured wait, not the 5 s default, is what gave up.
                #expect(text.contains("within 0.5 seconds"), "\(text)")
                #expect(!text.contains("hunter2"))
            }
            let event = RobotEvent(
                type: .robotPaused,
                occurredAt: Date(),
                user: .init(id: "u_1"),
                account: .init(id: "acc_1", exchange: "binance"),
                robot: .init(id: "rb_1", name: "Grid"),
                reason: .init(text: "API expired or no permission")
            )
            let ingestError = await #expect(throws: PostgresStore.Error.self) {
                _ = try await store.ingest(IncomingEvent(id: "e1", event: event, cause: .keyExpired, body: Data(), receivedAt: Date()))
            }
            #expect(String(describing: ingestError).contains("within 0.5 seconds"))
        }
    }
}

/// Several replicas on one database: what the SQLite store gets from its single writer, the
/// PostgreSQL store must get from the database. Runs when REBIND_TEST_POSTGRES_URL is set.
@Suite("PostgreSQL store, several replicas", .enabled(if: StoreKind.postgresURL != nil, "REBIND_TEST_POSTGRES_URL is not set"))
struct PostgresReplicaTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func paused(_ id: String, user: String, robot: String = "rb_1", at: Date? = nil) -> IncomingEvent {
        let event = RobotEvent(
            type: .robotPaused,
            occurredAt: at ?? now,
            user: .init(id: user),
            account: .init(id: "acc_\(user)", exchange: "binance"),
            robot: .init(id: robot, name: "Grid \(robot)"),
            reason: .init(text: "API expired or no permission")
        )
        return IncomingEvent(id: id, event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: at ?? now)
    }

    @Test("Migrations are recorded once, and running them again changes nothing")
    func migrations() async throws {
        try await withFixture(.postgres) { fixture in
            let replica = try await fixture.replica()
            #expect(
                try await replica.migrate() == [
                    "v1_events_incidents", "v2_chats_conversations_delivery", "v3_binding_updates", "v4_slack_installations", "v5_update_lanes",
                    "v6_notices_by_incident", "v7_chat_languages", "v8_exchange_uid", "v9_confirmed_links",
                    "v10_urgent_incidents", "v11_key_expiry", "v12_incident_robots", "v13_dead_letters", "v14_retention", "v15_console",
                    "v16_incident_robots_unordered",
                ]
            )
            #expect(try await replica.migrate() == PostgresStore.migrations.map(\.version))
        }
    }

    @Test("Two replicas claiming at the same moment never claim the same notice, and together claim them all")
    func concurrentClaims() async throws {
        try await withFixture(.postgres) { fixture in
            let replicas: [any ChatStore] = [fixture.store, try await fixture.replica()]
            let count = 300
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in 0..<count {
                    group.addTask { _ = try await fixture.store.ingest(paused("p\(user)", user: "u_\(user)")) }
                }
                try await group.waitForAll()
            }
            let due = now.addingTimeInterval(10)
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for (index, replica) in replicas.enumerated() {
                    for _ in 0..<3 {
                        group.addTask {
                            var ids: [Int64] = []
                            while true {
                                let batch = try await replica.claimNotices(now: due, limit: 5 + index, leaseUntil: due.addingTimeInterval(60))
                                if batch.isEmpty { return ids }
                                ids += batch.map(\.id)
                            }
                        }
                    }
                }
                var all: [Int64] = []
                for try await ids in group { all += ids }
                return all
            }
            #expect(claimed.count == count)
            #expect(Set(claimed).count == count)
        }
    }

    @Test("A lease that runs out is taken over by another replica")
    func expiredLease() async throws {
        try await withFixture(.postgres) { fixture in
            let other = try await fixture.replica()
            _ = try await fixture.store.ingest(paused("p1", user: "u_1"))
            let due = now.addingTimeInterval(10)
            let first = try await fixture.store.claimNotices(now: due, limit: 10, leaseUntil: due.addingTimeInterval(60))
            #expect(first.count == 1)
            // The first replica dies holding the lease.
            #expect(try await other.claimNotices(now: due.addingTimeInterval(59), limit: 10, leaseUntil: due.addingTimeInterval(120)).isEmpty)
            let taken = try await other.claimNotices(now: due.addingTimeInterval(60), limit: 10, leaseUntil: due.addingTimeInterval(120))
            #expect(taken.map(\.id) == first.map(\.id))
            #expect(taken.map(\.notice) == [.announce(incidentID: "p1", at: due.addingTimeInterval(60))])
        }
    }

    @Test("Events of one incident reaching two replicas at the same moment give one incident and one notice")
    func concurrentGrouping() async throws {
        try await withFixture(.postgres) { fixture in
            let replicas: [any EventStore] = [fixture.store, try await fixture.replica()]
            let accounts = 100
            // Each account is known already, as after a first binding: its rows exist, so only
            // row locks (not the insert of new rows) keep the two halts apart. (Without any
            // lock and retry this test fails on the one-open-incident index.)
            for user in 0..<accounts {
                var created = paused("b\(user)", user: "u_\(user)")
                created.event.type = .apiBindingCreated
                created.event.robot = nil
                created.event.reason = nil
                _ = try await fixture.store.ingest(created)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in 0..<accounts {
                    for (index, replica) in replicas.enumerated() {
                        group.addTask { _ = try await replica.ingest(paused("e\(user)-\(index)", user: "u_\(user)", robot: "rb_\(index)")) }
                    }
                }
                try await group.waitForAll()
            }
            let store = fixture.store
            for user in 0..<accounts {
                let open = try await store.openIncidents(userID: "u_\(user)", accountID: "acc_u_\(user)")
                #expect(open.count == 1)
                let incident = try #require(open.first)
                #expect(incident.totals == Incident.Totals(robots: 2, halted: 2))
                #expect(Set(try await store.robots(ofIncident: incident.id, limit: nil).map(\.id)) == ["rb_0", "rb_1"])
            }
            let notices = try await store.pendingNotices()
            #expect(notices.count == accounts)
            #expect(Set(notices.map(\.notice.incidentID)).count == accounts)
        }
    }

    @Test("A newer replica adding columns while this one runs does not break its ingest: no prepared statement returns a column it does not name")
    func columnsAddedWhileRunning() async throws {
        try await withFixture(.postgres) { fixture in
            let store = fixture.store
            let accounts = 20
            // Concurrent events use several of the pool's connections, each preparing the batch statements.
            func pause(robot: String, round: Int) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for user in 0..<accounts {
                        group.addTask { _ = try await store.ingest(paused("\(robot)-\(user)-\(round)", user: "u_\(user)", robot: robot)) }
                    }
                    try await group.waitForAll()
                }
            }
            try await pause(robot: "rb_1", round: 1)
            // What a later migration would do: every table the batch reads or writes gains a column.
            try await PostgresTesting.withClient(schema: fixture.place) { client in
                for table in ["inbox", "users", "incident_groups", "incidents", "incident_robots", "notices"] {
                    try await client.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) ADD COLUMN added_later TEXT"))
                }
            }
            // The same robots again (their rows are read back) and a second robot each.
            try await pause(robot: "rb_1", round: 2)
            try await pause(robot: "rb_2", round: 2)
            for user in 0..<accounts {
                let open = try await store.openIncidents(userID: "u_\(user)", accountID: "acc_u_\(user)")
                let incident = try #require(open.first)
                #expect(open.count == 1)
                #expect(incident.totals == Incident.Totals(robots: 2, halted: 2))
            }
        }
    }

    @Test("Replicas passing at the same moment queue each reminder once")
    func concurrentReminders() async throws {
        let policy = IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 1)
        try await withFixture(.postgres, policy: policy) { fixture in
            let replicas: [any ChatStore] = [fixture.store, try await fixture.replica()]
            for user in 0..<50 { _ = try await fixture.store.ingest(paused("p\(user)", user: "u_\(user)")) }
            let announced = try await fixture.store.claimNotices(now: now.addingTimeInterval(10), limit: 100, leaseUntil: now.addingTimeInterval(70))
            try await fixture.store.completeNotices(
                announced.map {
                    DeliveredNotice(id: $0.id, incidentID: $0.notice.incidentID, sent: (ChatAddress(channel: .telegram, id: "1"), "m"))
                }
            )
            let later = now.addingTimeInterval(3610)
            let scheduled = try await withThrowingTaskGroup(of: Int.self) { group in
                for replica in replicas + replicas {
                    group.addTask { try await replica.scheduleReminders(policy: policy, now: later) }
                }
                return try await group.reduce(0, +)
            }
            #expect(scheduled == 50)
            #expect(try await fixture.store.dueNotices(now: later, limit: 1000).filter(\.isReminder).count == 50)
        }
    }
}
