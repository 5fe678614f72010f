import Foundation
import Logging
import NIOCore
import PostgresNIO
import RebindCore

extension PostgresStore {
    /// Stores a batch of concurrent events in one transaction with a handful of multi-row
    /// statements, whatever the batch's size: the inbox; the users and the grouping locks; the
    /// open incidents and the robot rows the events need; then every incident, robot row and
    /// notice the batch changed. The book runs between the reads and the writes, event after
    /// event in arrival order (`IncidentBatch`), so the outcome is what one transaction per
    /// event would have stored. Binding events add their own statements, as they do alone.
    ///
    /// Returns one outcome per event, in order. A repeated id (in an earlier batch, another
    /// replica's, or earlier in this one) is a duplicate carrying the first copy's cause.
    static func ingest(
        batch: [IncomingEvent],
        book: IncidentBook,
        expiryPolicy: ExpiryPolicy,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [IngestOutcome] {
        // The first copy of each id in the batch is offered to the inbox; later copies follow it.
        var first: [String: Int] = [:]
        for (index, incoming) in batch.enumerated() where first[incoming.id] == nil {
            first[incoming.id] = index
        }
        let offered = batch.indices.filter { first[batch[$0].id] == $0 }.map { batch[$0] }
        // One round trip: the new events into the inbox, then, for those alone, their users and
        // the grouping locks of their accounts.
        let inserted = try await insertInbox(offered, on: connection, logger: logger)
        let stored = offered.filter { inserted.contains($0.id) }
        let earlier = offered.filter { !inserted.contains($0.id) }.map(\.id)
        let storedCauses = earlier.isEmpty ? [:] : try await causes(of: earlier, on: connection, logger: logger)

        let outcomes: [IngestOutcome] = batch.enumerated().map { index, incoming in
            let firstIndex = first[incoming.id] ?? index
            if inserted.contains(incoming.id) {
                // The first copy is stored; a later copy in the batch is its duplicate.
                return firstIndex == index ? .stored(cause: incoming.cause) : .duplicate(cause: batch[firstIndex].cause)
            }
            return .duplicate(cause: storedCauses[incoming.id].flatMap(Cause.init(rawValue:)))
        }
        guard !stored.isEmpty else { return outcomes }

        for incoming in stored {
            try await saveAccountFacts(incoming, expiryPolicy: expiryPolicy, on: connection, logger: logger)
        }

        // New statements, so new snapshots: after waiting on the locks, they see what the
        // transactions that held them committed.
        let accounts = Set(stored.map { IncidentBatch.Account(userID: $0.event.user.id, accountID: $0.event.account.id) })
        let open = try await openIncidents(of: accounts, on: connection, logger: logger)
        let rows = try await robotRows(for: stored, open: open, on: connection, logger: logger)

        var changes = IncidentBatch(book: book, open: open, rows: rows)
        for incoming in stored {
            changes.apply(incoming.event, eventID: incoming.id, cause: incoming.cause ?? .unknown, now: incoming.receivedAt)
        }
        try await save(changes, on: connection, logger: logger)
        return outcomes
    }

    /// Inserts the events whose ids the inbox does not hold yet and returns those ids; for
    /// those events alone, keeps what the platform says of their users (later events' values
    /// over earlier ones', absent fields keeping stored ones) and takes the grouping row locks
    /// of their users and accounts. Inbox rows go in in id order, so two batches holding the
    /// same ids (a repeat sent to two replicas) wait for each other in one direction only; the
    /// inbox insert is complete before the first lock (the locks read what it returned); users
    /// and locks are taken in key order, the same for every replica, so two batches cannot
    /// deadlock.
    static func insertInbox(_ offered: [IncomingEvent], on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        let events = offered.sorted { $0.id < $1.id }
        // In arrival order, one per event: which of them are users' latest is decided by position.
        let users = offered.map(\.event.user)
        let statement = BatchStatement.InsertInbox(
            bindings: PostgresBindings([
                PostgresColumn(events.map(\.id)),
                PostgresColumn(events.map(\.event.type.rawValue)),
                PostgresColumn(events.map(\.event.user.id)),
                PostgresColumn(events.map(\.event.account.id)),
                PostgresColumn(events.map(\.event.robot?.id)),
                PostgresColumn(events.map(\.cause?.rawValue)),
                PostgresColumn(events.map(\.event.occurredAt.timeIntervalSince1970)),
                PostgresColumn(events.map(\.receivedAt.timeIntervalSince1970)),
                PostgresColumn(events.map { ByteBuffer(bytes: $0.body) }),
                PostgresColumn(offered.map(\.id)),
                PostgresColumn(users.map(\.id)),
                PostgresColumn(offered.map(\.event.account.id)),
                PostgresColumn(users.map(\.locale)),
                PostgresColumn(users.map(\.telegramChatId)),
                PostgresColumn(users.map(\.slack?.teamId)),
                PostgresColumn(users.map(\.slack?.userId)),
                PostgresColumn(offered.map(\.receivedAt.timeIntervalSince1970)),
            ])
        )
        return Set(try await connection.all(statement, logger: logger))
    }

    /// The causes stored with events seen before.
    static func causes(of ids: [String], on connection: PostgresConnection, logger: Logger) async throws -> [String: String] {
        let rows = try await connection.all(
            "SELECT webhook_id, cause FROM inbox WHERE webhook_id = ANY(\(ids))",
            logger: logger,
            table: "inbox"
        ) { (try $0("webhook_id", as: String.self), try $0("cause", as: String?.self)) }
        return Dictionary(rows.compactMap { id, cause in cause.map { (id, $0) } }, uniquingKeysWith: { first, _ in first })
    }

    /// What a binding event changes besides incidents: the exchange account, the binding and
    /// its expiry warnings. Rare beside robot events; each takes its own statements (two for an
    /// update that plans no warning, one for a deletion).
    static func saveAccountFacts(
        _ incoming: IncomingEvent,
        expiryPolicy: ExpiryPolicy,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let event = incoming.event
        if let uid = event.account.exchangeUID {
            try await saveExchangeUID(uid, accountID: event.account.id, source: .platform, at: incoming.receivedAt, on: connection, logger: logger)
        }
        if event.type == .apiBindingCreated || event.type == .apiBindingUpdated {
            try await saveBinding(event, at: incoming.receivedAt, policy: expiryPolicy, on: connection, logger: logger)
        } else if event.type == .apiBindingDeleted {
            // The binding, its sealed key, its warnings and the exchange account it was of are
            // forgotten: a new binding may be of another exchange account.
            try await connection.run(
                """
                WITH binding AS (DELETE FROM bindings WHERE account_id = \(event.account.id)),
                    uid AS (DELETE FROM exchange_uids WHERE account_id = \(event.account.id))
                DELETE FROM expiry_warnings WHERE account_id = \(event.account.id)
                """,
                logger: logger
            )
        }
    }

    static func openIncidents(of accounts: Set<IncidentBatch.Account>, on connection: PostgresConnection, logger: Logger) async throws -> [Incident] {
        try await connection.all(openIncidentsQuery(of: accounts), logger: logger, table: "incidents", incident(from:))
    }

    /// The open incidents of `accounts`: one probe of the open-incidents index per account,
    /// whatever PostgreSQL's statistics say. Written as a join, it was planned as a hash of
    /// every open incident whenever the statistics held few of them (a young database, or the
    /// first minute of an exchange-wide purge): 1-2 ms a batch at 5,000 open incidents, and
    /// growing with them (bench/README.md, issue 15). `OFFSET 0` keeps PostgreSQL from turning
    /// the lateral subquery back into a join.
    static func openIncidentsQuery(of accounts: Set<IncidentBatch.Account>) -> PostgresQuery {
        let users = PostgresColumn(accounts.map(\.userID))
        let ids = PostgresColumn(accounts.map(\.accountID))
        return """
            SELECT open.* FROM unnest(\(users), \(ids)) AS batch (user_id, account_id)
            CROSS JOIN LATERAL (
                SELECT * FROM incidents
                WHERE incidents.user_id = batch.user_id AND incidents.account_id = batch.account_id
                    AND incidents.resolved_at IS NULL
                OFFSET 0
            ) AS open
            """
    }

    /// The rows the open incidents hold of the batch's robots: one index probe per robot and
    /// open incident of its account, whatever the incidents' sizes.
    static func robotRows(
        for events: [IncomingEvent],
        open: [Incident],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [IncidentRobot] {
        var incidentsOf: [IncidentBatch.Account: [String]] = [:]
        for incident in open {
            incidentsOf[IncidentBatch.Account(userID: incident.userID, accountID: incident.accountID), default: []].append(incident.id)
        }
        var pairs = Set<HeldRobot>()
        for incoming in events {
            guard let robot = incoming.event.robot else { continue }
            let account = IncidentBatch.Account(userID: incoming.event.user.id, accountID: incoming.event.account.id)
            for incidentID in incidentsOf[account] ?? [] { pairs.insert(HeldRobot(incidentID: incidentID, robotID: robot.id)) }
        }
        guard !pairs.isEmpty else { return [] }
        return try await connection.all(robotRowsQuery(pairs), logger: logger, table: "incident_robots", incidentRobot(from:))
    }

    /// A robot an incident may hold a row of.
    struct HeldRobot: Hashable {
        var incidentID: String
        var robotID: String
    }

    /// The rows of `pairs`, one primary-key probe each, whatever the statistics say (as above).
    static func robotRowsQuery(_ pairs: Set<HeldRobot>) -> PostgresQuery {
        let incidentIDs = PostgresColumn(pairs.map(\.incidentID))
        let robotIDs = PostgresColumn(pairs.map(\.robotID))
        return """
            SELECT held.* FROM unnest(\(incidentIDs), \(robotIDs)) AS wanted (incident_id, robot_id)
            CROSS JOIN LATERAL (
                SELECT * FROM incident_robots
                WHERE incident_robots.incident_id = wanted.incident_id AND incident_robots.robot_id = wanted.robot_id
                OFFSET 0
            ) AS held
            """
    }

    /// A notice as the outbox stores it.
    struct NoticeRow {
        var incidentID: String
        var kind: String
        var dueAt: Date
        var createdAt: Date
        var priority: Int
    }

    /// Every incident, robot row and notice the batch changed, in one statement.
    static func save(_ changes: IncidentBatch, on connection: PostgresConnection, logger: Logger) async throws {
        let notices = changes.notices.map { queued in
            let row = noticeRow(queued.notice, now: queued.now)
            return NoticeRow(incidentID: queued.notice.incidentID, kind: row.kind, dueAt: row.dueAt, createdAt: queued.now, priority: row.priority)
        }
        try await write(incidents: changes.incidents, robots: changes.robots, notices: notices, on: connection, logger: logger)
    }

    /// Saves incidents (inserted or updated, in the order given: `IncidentBatch` puts those
    /// stored before first, so one resolved leaves the one-open-per-cause index before a new one
    /// of its cause is inserted), robot rows and new notices in one statement. Robot rows and
    /// notices may reference incidents inserted by it (foreign keys are checked at its end).
    static func write(
        incidents: [Incident],
        robots rows: [IncidentRobot],
        notices queued: [NoticeRow],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !incidents.isEmpty else { return }
        let ids = PostgresColumn(incidents.map(\.id))
        let users = PostgresColumn(incidents.map(\.userID))
        let accounts = PostgresColumn(incidents.map(\.accountID))
        let exchanges = PostgresColumn(incidents.map(\.exchange))
        let causes = PostgresColumn(incidents.map(\.cause.rawValue))
        let reasons = PostgresColumn(incidents.map { JSONText.reason($0.reason) })
        let opened = PostgresColumn(incidents.map(\.openedAt.timeIntervalSince1970))
        let announce = PostgresColumn(incidents.map(\.announceAt.timeIntervalSince1970))
        let reminders = PostgresColumn(incidents.map(\.remindersSent))
        let resolved = PostgresColumn(incidents.map(\.resolvedAt?.timeIntervalSince1970))
        let resolutions = PostgresColumn(incidents.map(\.resolution?.rawValue))
        let urgent = PostgresColumn(incidents.map(\.isUrgent))
        let robotCounts = PostgresColumn(incidents.map(\.totals.robots))
        let halted = PostgresColumn(incidents.map(\.totals.halted))
        let haltedFutures = PostgresColumn(incidents.map(\.totals.haltedFutures))
        let positions = PostgresColumn(incidents.map(\.totals.openPositions))
        let exposure = PostgresColumn(incidents.map { JSONText.object($0.totals.exposureAmounts) })

        let rowIncidents = PostgresColumn(rows.map(\.incidentID))
        let rowRobots = PostgresColumn(rows.map(\.robot.id))
        let rowPositions = PostgresColumn(rows.map(\.position))
        let rowNames = PostgresColumn(rows.map(\.robot.name))
        let rowStates = PostgresColumn(rows.map(\.robot.state.rawValue))
        let rowFutures = PostgresColumn(rows.map(\.robot.futures))
        let rowOpenPositions = PostgresColumn(rows.map(\.robot.openPositions))
        let rowAmounts = PostgresColumn(rows.map(\.robot.exposure?.amount))
        let rowCurrencies = PostgresColumn(rows.map(\.robot.exposure?.currency))

        let noticeIncidents = PostgresColumn(queued.map(\.incidentID))
        let kinds = PostgresColumn(queued.map(\.kind))
        let due = PostgresColumn(queued.map(\.dueAt.timeIntervalSince1970))
        let created = PostgresColumn(queued.map(\.createdAt.timeIntervalSince1970))
        let priorities = PostgresColumn(queued.map(\.priority))
        let statement = BatchStatement.Write(
            bindings: PostgresBindings([
                ids, users, accounts, exchanges, causes, reasons, opened, announce, reminders, resolved, resolutions, urgent,
                robotCounts, halted, haltedFutures, positions, exposure,
                rowIncidents, rowRobots, rowPositions, rowNames, rowStates, rowFutures, rowOpenPositions, rowAmounts, rowCurrencies,
                noticeIncidents, kinds, due, created, priorities,
            ])
        )
        try await connection.run(statement, logger: logger)
    }
}
