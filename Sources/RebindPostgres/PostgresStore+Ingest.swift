import Foundation
import Logging
import PostgresNIO
import RebindCore

extension PostgresStore {
    /// Stores the event and everything it causes in one transaction, committed before this
    /// returns. A transaction that lost a race to another replica (a deadlock victim, a
    /// unique key taken meanwhile) is run again; the second run sees the winner's rows.
    public func ingest(_ event: IncomingEvent) async throws -> IngestOutcome {
        let book = book
        let expiryPolicy = configuration.expiryPolicy
        let logger = logger
        var attempt = 1
        while true {
            do {
                return try await transaction { connection in
                    try await Self.ingest(event, book: book, expiryPolicy: expiryPolicy, on: connection, logger: logger)
                }
            } catch let error as Error where error.isRetryable && attempt < 3 {
                attempt += 1
                logger.debug("Ingest retried", metadata: ["event.id": "\(event.id)", "error": "\(error)"])
            }
        }
    }

    static func ingest(
        _ incoming: IncomingEvent,
        book: IncidentBook,
        expiryPolicy: ExpiryPolicy,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> IngestOutcome {
        let event = incoming.event
        let user = event.user
        // One round trip for what every event does first: store it unless its id was seen,
        // keep what the platform knows of the user, and take the row lock that makes grouping
        // safe across replicas (a second event of this user and account waits here until the
        // first commits). The round trips, not the SQL, are most of an event's cost.
        let (inserted, storedCause) =
            try await connection.first(
                """
                WITH stored AS (
                    INSERT INTO inbox (webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body)
                    VALUES (\(incoming.id), \(event.type.rawValue), \(user.id), \(event.account.id), \(event.robot?.id),
                            \(incoming.cause?.rawValue), \(event.occurredAt.timeIntervalSince1970), \(incoming.receivedAt.timeIntervalSince1970),
                            \(incoming.body))
                    ON CONFLICT (webhook_id) DO NOTHING
                    RETURNING 1
                ), known AS (
                    INSERT INTO users (id, locale, telegram_chat_id, slack_team_id, slack_user_id, updated_at)
                    SELECT \(user.id), \(user.locale), \(user.telegramChatId), \(user.slack?.teamId), \(user.slack?.userId),
                           \(incoming.receivedAt.timeIntervalSince1970)
                    WHERE EXISTS (SELECT 1 FROM stored)
                    ON CONFLICT (id) DO UPDATE SET
                        locale = coalesce(excluded.locale, users.locale),
                        telegram_chat_id = coalesce(excluded.telegram_chat_id, users.telegram_chat_id),
                        slack_team_id = coalesce(excluded.slack_team_id, users.slack_team_id),
                        slack_user_id = coalesce(excluded.slack_user_id, users.slack_user_id),
                        updated_at = excluded.updated_at
                    WHERE excluded.locale IS DISTINCT FROM users.locale
                        OR excluded.telegram_chat_id IS DISTINCT FROM users.telegram_chat_id
                        OR excluded.slack_team_id IS DISTINCT FROM users.slack_team_id
                        OR excluded.slack_user_id IS DISTINCT FROM users.slack_user_id
                    RETURNING 1
                ), locked AS (
                    INSERT INTO incident_groups (user_id, account_id)
                    SELECT \(user.id), \(event.account.id) WHERE EXISTS (SELECT 1 FROM stored)
                    ON CONFLICT (user_id, account_id) DO UPDATE SET user_id = excluded.user_id
                    RETURNING 1
                )
                -- Data-modifying WITH clauses run to completion whether or not they are read.
                SELECT (SELECT count(*) FROM stored) AS inserted,
                       (SELECT cause FROM inbox WHERE webhook_id = \(incoming.id)) AS stored_cause
                """,
                logger: logger,
                table: "inbox"
            ) { (try $0("inserted", as: Int.self), try $0("stored_cause", as: String?.self)) } ?? (0, nil)
        // The snapshot is the statement's start: a duplicate reads the first copy's cause.
        guard inserted == 1 else {
            return .duplicate(cause: storedCause.flatMap(Cause.init(rawValue:)))
        }

        if let uid = event.account.exchangeUID {
            try await saveExchangeUID(uid, accountID: event.account.id, source: .platform, at: incoming.receivedAt, on: connection, logger: logger)
        }
        if event.type == .apiBindingCreated || event.type == .apiBindingUpdated {
            try await saveBinding(event, at: incoming.receivedAt, on: connection, logger: logger)
            try await replanExpiry(accountID: event.account.id, policy: expiryPolicy, now: incoming.receivedAt, on: connection, logger: logger)
        } else if event.type == .apiBindingDeleted {
            // The binding, its sealed key, its warnings and the exchange account it was of are
            // forgotten: a new binding may be of another exchange account.
            try await connection.run("DELETE FROM bindings WHERE account_id = \(event.account.id)", logger: logger)
            try await connection.run("DELETE FROM exchange_uids WHERE account_id = \(event.account.id)", logger: logger)
            try await connection.run("DELETE FROM expiry_warnings WHERE account_id = \(event.account.id)", logger: logger)
        }
        // A new statement, so a new snapshot: after waiting on the lock, it sees what the
        // event that held it committed.
        let open = try await openIncidents(userID: event.user.id, accountID: event.account.id, on: connection, logger: logger)
        var stored: [IncidentRobot] = []
        if let robot = event.robot {
            stored = try await robotRows(robotID: robot.id, userID: event.user.id, accountID: event.account.id, on: connection, logger: logger)
        }
        let changes = book.apply(
            event,
            eventID: incoming.id,
            cause: incoming.cause ?? .unknown,
            open: open,
            stored: stored,
            now: incoming.receivedAt
        )
        var notices = changes.notices
        for incident in changes.incidents {
            let notice = notices.firstIndex { $0.incidentID == incident.id }.map { notices.remove(at: $0) }
            let robot = changes.robots.first { $0.incidentID == incident.id }
            try await save(incident, robot: robot, notice: notice, now: incoming.receivedAt, on: connection, logger: logger)
        }
        for notice in notices {
            try await enqueue(notice, now: incoming.receivedAt, on: connection, logger: logger)
        }
        return .stored(cause: incoming.cause)
    }

    /// Where an account's exchange id was learnt.
    enum ExchangeUIDSource: String {
        /// The platform's `account.exchange_uid`.
        case platform
        /// What the exchange said of a key accepted here.
        case exchange
    }

    static func saveExchangeUID(
        _ uid: String,
        accountID: String,
        source: ExchangeUIDSource,
        at now: Date,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO exchange_uids (account_id, exchange_uid, source, updated_at)
            VALUES (\(accountID), \(uid), \(source.rawValue), \(now.timeIntervalSince1970))
            ON CONFLICT (account_id) DO UPDATE SET
                exchange_uid = excluded.exchange_uid, source = excluded.source, updated_at = excluded.updated_at
            """,
            logger: logger
        )
    }

    static func saveBinding(_ event: RobotEvent, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        let account = event.account
        // A binding is as old as the platform says; failing that, as old as this event.
        let boundAt = account.boundAt ?? event.occurredAt
        let stored = try await connection.first(
            "SELECT * FROM bindings WHERE account_id = \(account.id) FOR UPDATE",
            logger: logger,
            table: "bindings",
            lifetime(from:)
        )
        let lifetime = (stored ?? BindingLifetime()).afterEvent(account, boundAt: boundAt)
        try await connection.run(
            """
            INSERT INTO bindings (account_id, user_id, exchange, label, api_key_hint, bound_at, updated_at,
                                  platform_expires_at, platform_ip_restricted, trading_expires_at,
                                  checked_ip_restricted, checked_key_hint)
            VALUES (\(account.id), \(event.user.id), \(account.exchange), \(account.label), \(account.apiKeyHint),
                    \(boundAt.timeIntervalSince1970), \(now.timeIntervalSince1970),
                    \(lifetime.platformExpiresAt?.timeIntervalSince1970), \(lifetime.platformIPRestricted),
                    \(lifetime.checkedExpiresAt?.timeIntervalSince1970), \(lifetime.checkedIPRestricted), \(lifetime.checkedKeyHint))
            ON CONFLICT (account_id) DO UPDATE SET
                user_id = excluded.user_id, exchange = excluded.exchange,
                label = coalesce(excluded.label, bindings.label),
                api_key_hint = coalesce(excluded.api_key_hint, bindings.api_key_hint),
                bound_at = excluded.bound_at, updated_at = excluded.updated_at,
                platform_expires_at = excluded.platform_expires_at,
                platform_ip_restricted = excluded.platform_ip_restricted,
                trading_expires_at = excluded.trading_expires_at,
                checked_ip_restricted = excluded.checked_ip_restricted,
                checked_key_hint = excluded.checked_key_hint
            """,
            logger: logger
        )
    }

    static func openIncidents(userID: String, accountID: String, on connection: PostgresConnection, logger: Logger) async throws -> [Incident] {
        try await connection.all(
            """
            SELECT * FROM incidents WHERE user_id = \(userID) AND account_id = \(accountID) AND resolved_at IS NULL
            ORDER BY opened_at
            """,
            logger: logger,
            table: "incidents",
            incident(from:)
        )
    }

    /// The rows the user and account's open incidents hold of one robot: at most one per open
    /// incident, whatever the incidents' sizes.
    static func robotRows(
        robotID: String,
        userID: String,
        accountID: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [IncidentRobot] {
        try await connection.all(
            """
            SELECT * FROM incident_robots
            WHERE robot_id = \(robotID) AND incident_id IN (
                SELECT id FROM incidents WHERE user_id = \(userID) AND account_id = \(accountID) AND resolved_at IS NULL
            )
            """,
            logger: logger,
            table: "incident_robots",
            incidentRobot(from:)
        )
    }

    /// Saves the incident and, in the same round trip, the robot row and the notice the event
    /// caused for it (if any). The robot keeps its place in the list when its row is replaced.
    static func save(
        _ incident: Incident,
        robot row: IncidentRobot?,
        notice: IncidentNotice?,
        now: Date,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let reason = try json(incident.reason)
        let exposure = try json(incident.totals.exposureAmounts)
        let totals = incident.totals
        let robot = row?.robot
        let queued = notice.map { noticeRow($0, now: now) }
        try await connection.run(
            """
            WITH saved AS (
                INSERT INTO incidents (id, user_id, account_id, exchange, cause, reason, opened_at,
                                       announce_at, reminders_sent, resolved_at, resolution, urgent,
                                       robot_count, halted_count, halted_futures_count, unmanaged_positions, unmanaged_exposure)
                VALUES (\(incident.id), \(incident.userID), \(incident.accountID), \(incident.exchange), \(incident.cause.rawValue),
                        \(reason), \(incident.openedAt.timeIntervalSince1970), \(incident.announceAt.timeIntervalSince1970),
                        \(incident.remindersSent), \(incident.resolvedAt?.timeIntervalSince1970), \(incident.resolution?.rawValue),
                        \(incident.isUrgent), \(totals.robots), \(totals.halted), \(totals.haltedFutures), \(totals.openPositions), \(exposure))
                ON CONFLICT (id) DO UPDATE SET
                    reason = excluded.reason,
                    reminders_sent = excluded.reminders_sent, resolved_at = excluded.resolved_at,
                    resolution = excluded.resolution, urgent = excluded.urgent,
                    robot_count = excluded.robot_count, halted_count = excluded.halted_count,
                    halted_futures_count = excluded.halted_futures_count, unmanaged_positions = excluded.unmanaged_positions,
                    unmanaged_exposure = excluded.unmanaged_exposure
                RETURNING id
            ), robot AS (
                INSERT INTO incident_robots (incident_id, robot_id, position, name, state, futures, open_positions,
                                             exposure_amount, exposure_currency)
                SELECT id, \(robot?.id), \(row?.position), \(robot?.name), \(robot?.state.rawValue), \(robot?.futures),
                       \(robot?.openPositions), \(robot?.exposure?.amount), \(robot?.exposure?.currency)
                FROM saved WHERE \(robot?.id)::text IS NOT NULL
                ON CONFLICT (incident_id, robot_id) DO UPDATE SET
                    name = excluded.name, state = excluded.state, futures = excluded.futures,
                    open_positions = excluded.open_positions, exposure_amount = excluded.exposure_amount,
                    exposure_currency = excluded.exposure_currency
                RETURNING 1
            )
            -- Data-modifying WITH clauses run to completion whether or not they are read.
            INSERT INTO notices (incident_id, kind, due_at, created_at, priority)
            SELECT id, \(queued?.kind), \(queued?.dueAt.timeIntervalSince1970 ?? 0), \(now.timeIntervalSince1970), \(queued?.priority ?? 0)
            FROM saved WHERE \(queued?.kind)::text IS NOT NULL
            """,
            logger: logger
        )
    }

    /// Recovery (updates, resolutions) goes before first announcements, and those before reminders.
    static func noticeRow(_ notice: IncidentNotice, now: Date) -> (kind: String, dueAt: Date, priority: Int) {
        switch notice {
        case .announce(_, let at): ("announce", at, 1)
        case .update: ("update", now, 0)
        case .resolve: ("resolve", now, 0)
        case .withdraw: ("withdraw", now, 0)
        }
    }

    static func enqueue(_ notice: IncidentNotice, now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        let (kind, dueAt, priority) = noticeRow(notice, now: now)
        try await insertNotice(incidentID: notice.incidentID, kind: kind, dueAt: dueAt, now: now, priority: priority, on: connection, logger: logger)
    }

    static func insertNotice(
        incidentID: String,
        kind: String,
        dueAt: Date,
        now: Date,
        priority: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO notices (incident_id, kind, due_at, created_at, priority)
            VALUES (\(incidentID), \(kind), \(dueAt.timeIntervalSince1970), \(now.timeIntervalSince1970), \(priority))
            """,
            logger: logger
        )
    }
}
