import Foundation
import GRDB
import RebindCore

extension SQLiteStore {
    /// Computes a binding's expiry from its row and plans its warnings afresh, in the
    /// transaction that changed it. A binding gone, or one whose key does not lapse, has none.
    static func replanExpiry(accountID: String, policy: ExpiryPolicy, now: Date, in db: Database) throws {
        // Every binding event runs these, so they bind and read their values directly
        // (DirectStatement, bench/README.md, issue 15).
        guard let binding = try bindingFacts(accountID: accountID, in: db) else {
            try DirectStatement(db, sql: "DELETE FROM expiry_warnings WHERE account_id = ?").execute(accountID)
            return
        }
        let ended = try DirectStatement(
            db,
            sql: "SELECT days, expires_at FROM expiry_warnings WHERE account_id = ? AND status <> 'pending'"
        ).fetchAll(accountID, table: "expiry_warnings") { columns in
            (days: try columns.int(0), expiresAt: Date(timeIntervalSince1970: try columns.double(1)))
        }
        let plan = policy.plan(exchange: binding.exchange, lifetime: binding.lifetime, ended: ended, now: now)
        try DirectStatement(db, sql: "UPDATE bindings SET expires_at = ?, expiry_source = ? WHERE account_id = ?").execute(
            plan.expiry?.expiresAt?.timeIntervalSince1970,
            plan.expiry?.source.rawValue ?? untrackable,
            accountID
        )
        // Kept: the warnings already told for this same expiry. Everything else starts afresh.
        try DirectStatement(
            db,
            sql: "DELETE FROM expiry_warnings WHERE account_id = ? AND NOT (status <> 'pending' AND expires_at IS ?)"
        ).execute(accountID, plan.expiry?.expiresAt?.timeIntervalSince1970)
        guard let expiresAt = plan.expiry?.expiresAt else { return }
        for warning in plan.warnings {
            try DirectStatement(
                db,
                sql: """
                    INSERT INTO expiry_warnings (account_id, days, user_id, expires_at, due_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (account_id, days) DO NOTHING
                    """
            ).execute(accountID, warning.days, binding.userID, expiresAt.timeIntervalSince1970, warning.dueAt.timeIntervalSince1970)
        }
    }

    /// `expiry_source` of a binding whose expiry nothing says (an exchange the catalogue
    /// lacks): computed, unlike NULL, which marks one not yet computed.
    static let untrackable = "none"

    public func planUntrackedExpiries(now: Date) async throws -> Int {
        let policy = expiryPolicy
        return try await pool.write { db in
            let accounts = try String.fetchAll(db, sql: "SELECT account_id FROM bindings WHERE expiry_source IS NULL")
            for accountID in accounts {
                try Self.replanExpiry(accountID: accountID, policy: policy, now: now, in: db)
            }
            return accounts.count
        }
    }

    public func claimExpiryWarnings(now: Date, mergeWithin: TimeInterval, limit: Int, leaseUntil: Date) async throws -> [[DueExpiryWarning]] {
        try await pool.write { db in
            let users = try Row.fetchAll(
                db,
                sql: """
                    SELECT user_id, min(due_at) AS first_due FROM expiry_warnings
                    WHERE status = 'pending' AND due_at <= ? GROUP BY user_id ORDER BY first_due LIMIT ?
                    """,
                arguments: [now.timeIntervalSince1970, limit]
            )
            return try users.map { user in
                let userID: String = user["user_id"]
                let until = (user["first_due"] as Double) + mergeWithin
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT w.*, b.exchange, b.label, b.api_key_hint, b.expiry_source,
                            EXISTS (SELECT 1 FROM incidents i WHERE i.account_id = w.account_id AND i.resolved_at IS NULL
                                    AND i.cause <> 'not_key_related') AS key_incident_open
                        FROM expiry_warnings w JOIN bindings b ON b.account_id = w.account_id
                        WHERE w.user_id = ? AND w.status = 'pending' AND w.due_at <= ?
                        ORDER BY w.account_id, w.days
                        """,
                    arguments: [userID, until]
                )
                try db.execute(
                    sql: "UPDATE expiry_warnings SET due_at = ? WHERE user_id = ? AND status = 'pending' AND due_at <= ?",
                    arguments: [leaseUntil.timeIntervalSince1970, userID, until]
                )
                return try rows.map(Self.dueWarning(from:))
            }
        }
    }

    static func dueWarning(from row: Row) throws -> DueExpiryWarning {
        let sourceText: String? = row["expiry_source"]
        guard let source = sourceText.flatMap(KeyExpiry.Source.init(rawValue:)) else {
            throw Error.corruptRow(table: "bindings", detail: "a warned binding has no expiry source (\(sourceText ?? "null"))")
        }
        return DueExpiryWarning(
            id: .init(accountID: row["account_id"], days: row["days"]),
            userID: row["user_id"],
            exchange: row["exchange"],
            label: row["label"],
            keyHint: row["api_key_hint"],
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            source: source,
            keyIncidentOpen: row["key_incident_open"],
            attempts: row["attempts"],
            firstAttemptAt: (row["first_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }

    public func endExpiryWarnings(
        _ ids: [DueExpiryWarning.ID],
        as end: ExpiryWarningEnd,
        error: String?,
        platformEvents: [QueuedPlatformEvent],
        now: Date
    ) async throws {
        try await pool.write { db in
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE expiry_warnings SET status = ?, last_error = coalesce(?, last_error), ended_at = ?
                        WHERE account_id = ? AND days = ? AND status = 'pending'
                        """,
                    arguments: [end.rawValue, error, now.timeIntervalSince1970, id.accountID, id.days]
                )
            }
            try Self.queue(platformEvents, now: now, in: db)
        }
    }

    public func queuePlatformEvents(_ events: [QueuedPlatformEvent], now: Date) async throws {
        try await pool.write { db in try Self.queue(events, now: now, in: db) }
    }

    static func queue(_ events: [QueuedPlatformEvent], now: Date, in db: Database) throws {
        for event in events {
            try db.execute(
                sql: "INSERT INTO platform_events (id, body, due_at, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                arguments: [event.id, event.body, now.timeIntervalSince1970, now.timeIntervalSince1970]
            )
        }
    }

    public func retryExpiryWarnings(_ ids: [DueExpiryWarning.ID], at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws {
        try await pool.write { db in
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE expiry_warnings SET due_at = ?, attempts = ?, first_attempt_at = ?, last_error = ?
                        WHERE account_id = ? AND days = ? AND status = 'pending'
                        """,
                    arguments: [at.timeIntervalSince1970, attempts, firstAttemptAt.timeIntervalSince1970, error, id.accountID, id.days]
                )
            }
        }
    }

    public func bindingExpiryCounts(now: Date) async throws -> [ExpiryBucket: Int] {
        let day: Double = 86_400
        let at = now.timeIntervalSince1970
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT expiry_source, CASE
                        WHEN expiry_source IS NULL OR expiry_source = ? THEN 'unknown'
                        WHEN expires_at IS NULL THEN 'never'
                        WHEN expires_at <= ? THEN 'expired'
                        WHEN expires_at <= ? THEN '1'
                        WHEN expires_at <= ? THEN '3'
                        WHEN expires_at <= ? THEN '7'
                        WHEN expires_at <= ? THEN '30'
                        ELSE 'more' END AS days_left, count(*) AS n
                    FROM bindings GROUP BY 1, 2
                    """,
                arguments: [Self.untrackable, at, at + day, at + 3 * day, at + 7 * day, at + 30 * day]
            )
            return Dictionary(
                rows.map { row in
                    let source = (row["expiry_source"] as String?).flatMap(KeyExpiry.Source.init(rawValue:))
                    let daysLeft = ExpiryBucket.DaysLeft(rawValue: row["days_left"]) ?? .unknown
                    return (ExpiryBucket(daysLeft: daysLeft, source: daysLeft == .unknown ? nil : source), row["n"] as Int)
                },
                uniquingKeysWith: +
            )
        }
    }

    public func claimPlatformEvents(now: Date, limit: Int, leaseUntil: Date) async throws -> [QueuedPlatformEvent] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM platform_events WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, created_at LIMIT ?",
                arguments: [now.timeIntervalSince1970, limit]
            )
            for row in rows {
                try db.execute(
                    sql: "UPDATE platform_events SET due_at = ? WHERE id = ?",
                    arguments: [leaseUntil.timeIntervalSince1970, row["id"] as String]
                )
            }
            return rows.map {
                QueuedPlatformEvent(
                    id: $0["id"],
                    body: $0["body"],
                    attempts: $0["attempts"],
                    firstAttemptAt: ($0["first_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:))
                )
            }
        }
    }

    public func retryPlatformEvent(id: String, at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE platform_events SET due_at = ?, attempts = ?, first_attempt_at = ?, last_error = ?
                    WHERE id = ? AND status = 'pending'
                    """,
                arguments: [at.timeIntervalSince1970, attempts, firstAttemptAt.timeIntervalSince1970, error, id]
            )
        }
    }

    public func endPlatformEvent(id: String, as end: BindingUpdateEnd, error: String?, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE platform_events SET status = ?, last_error = ?, ended_at = ? WHERE id = ?",
                arguments: [end.rawValue, error, now.timeIntervalSince1970, id]
            )
        }
    }
}
