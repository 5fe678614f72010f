import Foundation
import GRDB
import RebindCore

extension SQLiteStore {
    /// Stores one event and everything it causes. Runs inside the batch's transaction.
    static func ingest(_ incoming: IncomingEvent, book: IncidentBook, expiryPolicy: ExpiryPolicy, in db: Database) throws -> IngestOutcome {
        let event = incoming.event
        try DirectStatement(
            db,
            sql: """
                INSERT INTO inbox (webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id) DO NOTHING
                """
        ).execute(
            incoming.id,
            event.type.rawValue,
            event.user.id,
            event.account.id,
            event.robot?.id,
            incoming.cause?.rawValue,
            event.occurredAt.timeIntervalSince1970,
            incoming.receivedAt.timeIntervalSince1970,
            incoming.body
        )
        guard db.changesCount == 1 else {
            let stored = try String.fetchOne(
                db.cachedStatement(sql: "SELECT cause FROM inbox WHERE webhook_id = ?"),
                arguments: [incoming.id]
            )
            return .duplicate(cause: stored.flatMap(Cause.init(rawValue:)))
        }

        try saveUser(event.user, at: incoming.receivedAt, in: db)
        if let uid = event.account.exchangeUID {
            try saveExchangeUID(uid, accountID: event.account.id, source: .platform, at: incoming.receivedAt, in: db)
        }
        if event.type == .apiBindingCreated || event.type == .apiBindingUpdated {
            try saveBinding(event, at: incoming.receivedAt, in: db)
            try replanExpiry(accountID: event.account.id, policy: expiryPolicy, now: incoming.receivedAt, in: db)
        } else if event.type == .apiBindingDeleted {
            // The binding, its sealed key, its warnings and the exchange account it was of are
            // forgotten: a new binding may be of another exchange account.
            try db.execute(sql: "DELETE FROM bindings WHERE account_id = ?", arguments: [event.account.id])
            try db.execute(sql: "DELETE FROM exchange_uids WHERE account_id = ?", arguments: [event.account.id])
            try db.execute(sql: "DELETE FROM expiry_warnings WHERE account_id = ?", arguments: [event.account.id])
        }

        let open = try openIncidents(userID: event.user.id, accountID: event.account.id, in: db)
        // Robot rows belong to open incidents: with none open there are none to read.
        let stored =
            try event.robot.flatMap { robot in
                open.isEmpty ? nil : try robotRows(robotID: robot.id, userID: event.user.id, accountID: event.account.id, in: db)
            } ?? []
        let changes = book.apply(
            event,
            eventID: incoming.id,
            cause: incoming.cause ?? .unknown,
            open: open,
            stored: stored,
            now: incoming.receivedAt
        )
        for incident in changes.incidents {
            try save(incident, in: db)
        }
        for robot in changes.robots {
            try save(robot, in: db)
        }
        for notice in changes.notices {
            try enqueue(notice, now: incoming.receivedAt, in: db)
        }
        return .stored(cause: incoming.cause)
    }

    /// Keeps what the platform knows of the user's chats; absent fields leave stored ones.
    static func saveUser(_ user: RobotEvent.User, at now: Date, in db: Database) throws {
        try DirectStatement(
            db,
            sql: """
                INSERT INTO users (id, locale, telegram_chat_id, slack_team_id, slack_user_id, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    locale = coalesce(excluded.locale, users.locale),
                    telegram_chat_id = coalesce(excluded.telegram_chat_id, users.telegram_chat_id),
                    slack_team_id = coalesce(excluded.slack_team_id, users.slack_team_id),
                    slack_user_id = coalesce(excluded.slack_user_id, users.slack_user_id),
                    updated_at = excluded.updated_at
                WHERE excluded.locale IS NOT users.locale
                    OR excluded.telegram_chat_id IS NOT users.telegram_chat_id
                    OR excluded.slack_team_id IS NOT users.slack_team_id
                    OR excluded.slack_user_id IS NOT users.slack_user_id
                """
        ).execute(user.id, user.locale, user.telegramChatId, user.slack?.teamId, user.slack?.userId, now.timeIntervalSince1970)
    }

    /// Where an account's exchange id was learnt.
    enum ExchangeUIDSource: String {
        /// The platform's `account.exchange_uid`.
        case platform
        /// What the exchange said of a key accepted here.
        case exchange
    }

    static func saveExchangeUID(_ uid: String, accountID: String, source: ExchangeUIDSource, at now: Date, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO exchange_uids (account_id, exchange_uid, source, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET
                    exchange_uid = excluded.exchange_uid, source = excluded.source, updated_at = excluded.updated_at
                """
        ).execute(arguments: [accountID, uid, source.rawValue, now.timeIntervalSince1970])
    }

    static func saveBinding(_ event: RobotEvent, at now: Date, in db: Database) throws {
        let account = event.account
        // A binding is as old as the platform says; failing that, as old as this event.
        let boundAt = account.boundAt ?? event.occurredAt
        let stored = try bindingFacts(accountID: account.id, in: db)
        let lifetime = (stored?.lifetime ?? BindingLifetime()).afterEvent(account, boundAt: boundAt)
        try DirectStatement(
            db,
            sql: """
                INSERT INTO bindings (account_id, user_id, exchange, label, api_key_hint, bound_at, updated_at,
                                      platform_expires_at, platform_ip_restricted, trading_expires_at,
                                      checked_ip_restricted, checked_key_hint)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                """
        ).execute(
            account.id,
            event.user.id,
            account.exchange,
            account.label,
            account.apiKeyHint,
            boundAt.timeIntervalSince1970,
            now.timeIntervalSince1970,
            lifetime.platformExpiresAt?.timeIntervalSince1970,
            lifetime.platformIPRestricted,
            lifetime.checkedExpiresAt?.timeIntervalSince1970,
            lifetime.checkedIPRestricted,
            lifetime.checkedKeyHint
        )
    }

    /// What a binding event and its expiry plan read of a stored binding: its owner, exchange
    /// and lifetime.
    struct BindingFacts {
        var userID: String
        var exchange: String
        var lifetime: BindingLifetime
    }

    static func bindingFacts(accountID: String, in db: Database) throws -> BindingFacts? {
        try DirectStatement(
            db,
            sql: """
                SELECT user_id, exchange, bound_at, platform_expires_at, platform_ip_restricted,
                       trading_expires_at, checked_ip_restricted, checked_key_hint
                FROM bindings WHERE account_id = ?
                """
        ).fetchAll(accountID, table: "bindings") { columns in
            BindingFacts(
                userID: try columns.string(0),
                exchange: try columns.string(1),
                lifetime: BindingLifetime(
                    boundAt: columns.optionalDouble(2).map(Date.init(timeIntervalSince1970:)),
                    platformExpiresAt: columns.optionalDouble(3).map(Date.init(timeIntervalSince1970:)),
                    platformIPRestricted: columns.optionalBool(4),
                    checkedExpiresAt: columns.optionalDouble(5).map(Date.init(timeIntervalSince1970:)),
                    checkedIPRestricted: columns.optionalBool(6),
                    checkedKeyHint: columns.optionalString(7)
                )
            )
        }.first
    }

    static func openIncidents(userID: String, accountID: String, in db: Database) throws -> [Incident] {
        try fetchIncidents(sql: openIncidentsSQL, userID, accountID, in: db)
    }

    static let incidentByIDSQL = selectIncidents + "id = ?"

    /// Composed once: every event runs it, and its text is the statement cache's key.
    static let openIncidentsSQL = selectIncidents + "user_id = ? AND account_id = ? AND resolved_at IS NULL ORDER BY opened_at"

    /// The columns an incident is read from, in the order `incident(from:)` reads them.
    static let incidentColumns = """
        id, user_id, account_id, exchange, cause, robot_count, halted_count, halted_futures_count,
        unmanaged_positions, unmanaged_exposure, reason, opened_at, announce_at, reminders_sent, resolved_at, resolution
        """

    /// An incident's columns selected, for a condition (an order or limit too) to follow.
    static let selectIncidents = "SELECT \(incidentColumns) FROM incidents WHERE "

    /// The incidents `sql`, `selectIncidents` and its condition, selects.
    static func fetchIncidents<each Value: StatementBinding>(
        sql: String,
        _ values: repeat each Value,
        in db: Database
    ) throws -> [Incident] {
        try DirectStatement(db, sql: sql).fetchAll(repeat each values, table: "incidents", decode: incident(from:))
    }

    /// The columns an incident's robot is read from, in the order `incidentRobot(from:)` reads them.
    static let incidentRobotColumns = """
        incident_id, position, robot_id, name, state, futures, open_positions, exposure_amount, exposure_currency
        """

    /// The rows the user and account's open incidents hold of one robot: at most one per open
    /// incident, whatever the incidents' sizes.
    static func robotRows(robotID: String, userID: String, accountID: String, in db: Database) throws -> [IncidentRobot] {
        try DirectStatement(db, sql: robotRowsSQL)
            .fetchAll(robotID, userID, accountID, table: "incident_robots", decode: incidentRobot(from:))
    }

    static let robotRowsSQL = """
        SELECT \(incidentRobotColumns) FROM incident_robots
        WHERE robot_id = ? AND incident_id IN (
            SELECT id FROM incidents WHERE user_id = ? AND account_id = ? AND resolved_at IS NULL
        )
        """

    static func save(_ incident: Incident, in db: Database) throws {
        // `robots`, the JSON list before v11, is no longer read; SQLite cannot drop its NOT NULL.
        try DirectStatement(
            db,
            sql: """
                INSERT INTO incidents (id, user_id, account_id, exchange, cause, robots, reason, opened_at,
                                       announce_at, reminders_sent, resolved_at, resolution, urgent,
                                       robot_count, halted_count, halted_futures_count, unmanaged_positions, unmanaged_exposure)
                VALUES (?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    reason = excluded.reason,
                    reminders_sent = excluded.reminders_sent, resolved_at = excluded.resolved_at,
                    resolution = excluded.resolution, urgent = excluded.urgent,
                    robot_count = excluded.robot_count, halted_count = excluded.halted_count,
                    halted_futures_count = excluded.halted_futures_count, unmanaged_positions = excluded.unmanaged_positions,
                    unmanaged_exposure = excluded.unmanaged_exposure
                """
        ).execute(
            incident.id,
            incident.userID,
            incident.accountID,
            incident.exchange,
            incident.cause.rawValue,
            JSONText.reason(incident.reason),
            incident.openedAt.timeIntervalSince1970,
            incident.announceAt.timeIntervalSince1970,
            incident.remindersSent,
            incident.resolvedAt?.timeIntervalSince1970,
            incident.resolution?.rawValue,
            incident.isUrgent,
            incident.totals.robots,
            incident.totals.halted,
            incident.totals.haltedFutures,
            incident.totals.openPositions,
            JSONText.object(incident.totals.exposureAmounts)
        )
    }

    /// Inserts a robot's row or replaces what changed; its place in the list stays.
    static func save(_ row: IncidentRobot, in db: Database) throws {
        let robot = row.robot
        try DirectStatement(
            db,
            sql: """
                INSERT INTO incident_robots (incident_id, robot_id, position, name, state, futures, open_positions,
                                             exposure_amount, exposure_currency)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (incident_id, robot_id) DO UPDATE SET
                    name = excluded.name, state = excluded.state, futures = excluded.futures,
                    open_positions = excluded.open_positions, exposure_amount = excluded.exposure_amount,
                    exposure_currency = excluded.exposure_currency
                """
        ).execute(
            row.incidentID,
            robot.id,
            row.position,
            robot.name,
            robot.state.rawValue,
            robot.futures,
            robot.openPositions,
            robot.exposure?.amount,
            robot.exposure?.currency
        )
    }

    /// An incident's robots in halt order, the first `limit` (all when nil).
    static func robots(ofIncident incidentID: String, limit: Int?, in db: Database) throws -> [Incident.AffectedRobot] {
        try DirectStatement(db, sql: robotsOfIncidentSQL)
            .fetchAll(incidentID, limit ?? -1, table: "incident_robots") { try incidentRobot(from: $0).robot }
    }

    static let robotsOfIncidentSQL = "SELECT \(incidentRobotColumns) FROM incident_robots WHERE incident_id = ? ORDER BY position LIMIT ?"

    static func enqueue(_ notice: IncidentNotice, now: Date, in db: Database) throws {
        // Recovery (updates, resolutions) goes before first announcements, and those before reminders.
        let (kind, dueAt, priority): (String, Date, Int) =
            switch notice {
            case .announce(_, let at): ("announce", at, 1)
            case .update: ("update", now, 0)
            case .resolve: ("resolve", now, 0)
            case .withdraw: ("withdraw", now, 0)
            }
        try DirectStatement(db, sql: "INSERT INTO notices (incident_id, kind, due_at, created_at, priority) VALUES (?, ?, ?, ?, ?)")
            .execute(notice.incidentID, kind, dueAt.timeIntervalSince1970, now.timeIntervalSince1970, priority)
    }

    // MARK: Rows

    static func incident(from row: DirectStatement.Columns) throws -> Incident {
        let causeText = try row.string(4)
        guard let cause = Cause(rawValue: causeText) else {
            throw Error.corruptRow(table: "incidents", detail: "unknown cause \(causeText)")
        }
        return Incident(
            id: try row.string(0),
            userID: try row.string(1),
            accountID: try row.string(2),
            exchange: try row.string(3),
            cause: cause,
            totals: Incident.Totals(
                robots: try row.int(5),
                halted: try row.int(6),
                haltedFutures: try row.int(7),
                openPositions: try row.int(8),
                exposure: try exposure(try row.string(9))
            ),
            reason: try reason(try row.string(10)),
            openedAt: Date(timeIntervalSince1970: try row.double(11)),
            announceAt: Date(timeIntervalSince1970: try row.double(12)),
            remindersSent: try row.int(13),
            resolvedAt: row.optionalDouble(14).map(Date.init(timeIntervalSince1970:)),
            resolution: row.optionalString(15).flatMap(Incident.Resolution.init(rawValue:))
        )
    }

    static func incidentRobot(from row: DirectStatement.Columns) throws -> IncidentRobot {
        let stateText = try row.string(4)
        guard let state = Incident.AffectedRobot.State(rawValue: stateText) else {
            throw Error.corruptRow(table: "incident_robots", detail: "unknown state \(stateText)")
        }
        let amount = row.optionalString(7)
        let currency = row.optionalString(8)
        return IncidentRobot(
            incidentID: try row.string(0),
            position: try row.int(1),
            robot: Incident.AffectedRobot(
                id: try row.string(2),
                name: try row.string(3),
                state: state,
                futures: row.optionalBool(5),
                openPositions: row.optionalInt(6),
                exposure: amount.flatMap { amount in currency.map { .init(amount: amount, currency: $0) } }
            )
        )
    }

    static func notice(from row: Row) throws -> PendingNotice {
        let incidentID: String = row["incident_id"]
        let dueAt = Date(timeIntervalSince1970: row["due_at"])
        let kind: String = row["kind"]
        let notice: IncidentNotice
        switch kind {
        case "announce": notice = .announce(incidentID: incidentID, at: dueAt)
        case "update": notice = .update(incidentID: incidentID)
        case "resolve": notice = .resolve(incidentID: incidentID)
        case "withdraw": notice = .withdraw(incidentID: incidentID)
        case "reminder": notice = .announce(incidentID: incidentID, at: dueAt)
        default: throw Error.corruptRow(table: "notices", detail: "unknown kind \(kind)")
        }
        return PendingNotice(id: row["id"], notice: notice, dueAt: dueAt)
    }

    static let decoder = JSONDecoder()
    static func exposure(_ text: String) throws -> [String: Decimal] {
        let amounts = try JSONText.readObject(text) ?? decode([String: String].self, text, table: "incidents")
        guard let exposure = Incident.Totals.exposure(amounts: amounts) else {
            throw Error.corruptRow(table: "incidents", detail: "unmanaged_exposure \(amounts) is not decimal")
        }
        return exposure
    }

    /// An incident's stored reason: read directly when it is as `JSONText` writes it.
    static func reason(_ text: String) throws -> RobotEvent.Reason {
        try JSONText.readReason(text) ?? decode(RobotEvent.Reason.self, text, table: "incidents")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, table: String) throws -> T {
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw Error.corruptRow(table: table, detail: String(describing: error))
        }
    }
}
