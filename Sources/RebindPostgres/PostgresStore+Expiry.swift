import Foundation
import Logging
import PostgresNIO
import RebindCore

extension PostgresStore {
    /// Computes a binding's expiry from its row and plans its warnings afresh, in the
    /// transaction that changed it (as the SQLite store does): the row, the expiry, the stale
    /// warnings, then the new warnings if any (rare beside ingest: a key applied, an expiry
    /// planned for an untracked binding). The row is
    /// locked (its callers hold the lock already): whoever else plans this account's warnings
    /// waits for it, so the delete's snapshot misses none of theirs.
    static func replanExpiry(accountID: String, policy: ExpiryPolicy, now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        guard
            let (userID, exchange, lifetime) = try await connection.first(
                "SELECT * FROM bindings WHERE account_id = \(accountID) FOR UPDATE",
                logger: logger,
                table: "bindings",
                { (try $0("user_id", as: String.self), try $0("exchange", as: String.self), try lifetime(from: $0)) }
            )
        else {
            try await connection.run("DELETE FROM expiry_warnings WHERE account_id = \(accountID)", logger: logger)
            return
        }
        let plan = policy.plan(exchange: exchange, lifetime: lifetime, ended: [], now: now)
        let expiresAt = plan.expiry?.expiresAt?.timeIntervalSince1970
        try await connection.run(
            """
            UPDATE bindings SET expires_at = \(expiresAt), expiry_source = \(plan.expiry?.source.rawValue ?? untrackable)
            WHERE account_id = \(accountID)
            """,
            logger: logger
        )
        try await deleteStaleWarnings(accountID: accountID, expiresAt: expiresAt, on: connection, logger: logger)
        try await insertWarnings(plan, accountID: accountID, userID: userID, on: connection, logger: logger)
    }

    /// Deletes an account's warnings but those already told for `expiresAt`: everything else
    /// starts afresh. (`saveBinding` runs the same delete inside its upsert's statement.)
    static func deleteStaleWarnings(accountID: String, expiresAt: Double?, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            DELETE FROM expiry_warnings
            WHERE account_id = \(accountID) AND NOT (status <> 'pending' AND expires_at IS NOT DISTINCT FROM \(expiresAt))
            """,
            logger: logger
        )
    }

    /// A plan's warnings, after its stale ones were deleted. The plan is made without the
    /// warnings already told (`ended: []`): those are the rows left of the account, and a
    /// warning of their days is not inserted again (`DO NOTHING`), which is what leaving them
    /// out of the plan would do, without reading them first.
    static func insertWarnings(
        _ plan: ExpiryPlan,
        accountID: String,
        userID: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard let expiresAt = plan.expiry?.expiresAt, !plan.warnings.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO expiry_warnings (account_id, days, user_id, expires_at, due_at)
            SELECT \(accountID), days, \(userID), \(expiresAt.timeIntervalSince1970), due_at
            FROM unnest(\(PostgresColumn(plan.warnings.map(\.days))), \(PostgresColumn(plan.warnings.map(\.dueAt.timeIntervalSince1970))))
                AS planned (days, due_at)
            ON CONFLICT (account_id, days) DO NOTHING
            """,
            logger: logger
        )
    }

    /// `expiry_source` of a binding whose expiry nothing says: computed, unlike NULL.
    static let untrackable = "none"

    public func planUntrackedExpiries(now: Date) async throws -> Int {
        let policy = configuration.expiryPolicy
        return try await transaction { connection in
            let accounts = try await connection.all(
                "SELECT account_id FROM bindings WHERE expiry_source IS NULL ORDER BY account_id FOR UPDATE SKIP LOCKED",
                logger: self.logger,
                table: "bindings"
            ) { try $0("account_id", as: String.self) }
            for accountID in accounts {
                try await Self.replanExpiry(accountID: accountID, policy: policy, now: now, on: connection, logger: self.logger)
            }
            return accounts.count
        }
    }

    /// Claimed like notices: `FOR UPDATE SKIP LOCKED` and a lease that moves `due_at`, so a
    /// moment of an account goes out once whichever replica claims it.
    public func claimExpiryWarnings(now: Date, mergeWithin: TimeInterval, limit: Int, leaseUntil: Date) async throws -> [[DueExpiryWarning]] {
        try await transaction { connection in
            let claimed = try await connection.all(
                """
                WITH firsts AS (
                    SELECT user_id, min(due_at) AS first_due FROM expiry_warnings
                    WHERE status = 'pending' AND due_at <= \(now.timeIntervalSince1970)
                    GROUP BY user_id ORDER BY first_due LIMIT \(limit)
                ), due AS (
                    SELECT w.account_id, w.days, f.first_due FROM expiry_warnings w JOIN firsts f ON f.user_id = w.user_id
                    WHERE w.status = 'pending' AND w.due_at <= f.first_due + \(mergeWithin)
                    FOR UPDATE OF w SKIP LOCKED
                )
                UPDATE expiry_warnings w SET due_at = \(leaseUntil.timeIntervalSince1970)
                FROM due WHERE w.account_id = due.account_id AND w.days = due.days
                RETURNING w.account_id, w.days, w.user_id, w.expires_at, w.attempts, w.first_attempt_at, due.first_due
                """,
                logger: self.logger,
                table: "expiry_warnings"
            ) { row in
                (
                    id: DueExpiryWarning.ID(accountID: try row("account_id"), days: try row("days", as: Int.self)),
                    userID: try row("user_id", as: String.self),
                    expiresAt: try row.date("expires_at"),
                    attempts: try row("attempts", as: Int.self),
                    firstAttemptAt: try row.optionalDate("first_attempt_at"),
                    firstDue: try row("first_due", as: Double.self)
                )
            }
            guard !claimed.isEmpty else { return [] }
            let accountIDs = Array(Set(claimed.map(\.id.accountID)))
            let accounts = try await connection.all(
                """
                SELECT b.account_id, b.exchange, b.label, b.api_key_hint, b.expiry_source,
                    EXISTS (SELECT 1 FROM incidents i WHERE i.account_id = b.account_id AND i.resolved_at IS NULL
                            AND i.cause <> 'not_key_related') AS key_incident_open
                FROM bindings b WHERE b.account_id = ANY(\(accountIDs))
                """,
                logger: self.logger,
                table: "bindings"
            ) { row in
                (
                    accountID: try row("account_id", as: String.self),
                    exchange: try row("exchange", as: String.self),
                    label: try row("label", as: String?.self),
                    keyHint: try row("api_key_hint", as: String?.self),
                    source: try row("expiry_source", as: String?.self).flatMap(KeyExpiry.Source.init(rawValue:)),
                    keyIncidentOpen: try row("key_incident_open", as: Bool.self)
                )
            }
            let byAccount = Dictionary(accounts.map { ($0.accountID, $0) }, uniquingKeysWith: { first, _ in first })
            let warnings = try claimed.map { claim -> (DueExpiryWarning, Double) in
                guard let account = byAccount[claim.id.accountID], let source = account.source else {
                    throw Error.corruptRow(table: "bindings", detail: "a warned binding has no expiry (\(claim.id.accountID))")
                }
                let warning = DueExpiryWarning(
                    id: claim.id,
                    userID: claim.userID,
                    exchange: account.exchange,
                    label: account.label,
                    keyHint: account.keyHint,
                    expiresAt: claim.expiresAt,
                    source: source,
                    keyIncidentOpen: account.keyIncidentOpen,
                    attempts: claim.attempts,
                    firstAttemptAt: claim.firstAttemptAt
                )
                return (warning, claim.firstDue)
            }
            // One group per user, in the order their first warning fell due.
            let groups = Dictionary(grouping: warnings, by: \.0.userID)
            return groups.values
                .sorted { ($0[0].1, $0[0].0.userID) < ($1[0].1, $1[0].0.userID) }
                .map { $0.map(\.0).sorted { ($0.id.accountID, $0.id.days) < ($1.id.accountID, $1.id.days) } }
        }
    }

    public func endExpiryWarnings(
        _ ids: [DueExpiryWarning.ID],
        as end: ExpiryWarningEnd,
        error: String?,
        platformEvents: [QueuedPlatformEvent],
        now: Date
    ) async throws {
        try await transaction { connection in
            for id in ids {
                try await connection.run(
                    """
                    UPDATE expiry_warnings SET status = \(end.rawValue), last_error = coalesce(\(error), last_error),
                        ended_at = \(now.timeIntervalSince1970)
                    WHERE account_id = \(id.accountID) AND days = \(id.days) AND status = 'pending'
                    """,
                    logger: self.logger
                )
            }
            try await Self.queue(platformEvents, now: now, on: connection, logger: self.logger)
        }
    }

    public func queuePlatformEvents(_ events: [QueuedPlatformEvent], now: Date) async throws {
        try await transaction { connection in try await Self.queue(events, now: now, on: connection, logger: self.logger) }
    }

    static func queue(_ events: [QueuedPlatformEvent], now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        for event in events {
            try await connection.run(
                """
                INSERT INTO platform_events (id, body, due_at, created_at)
                VALUES (\(event.id), \(event.body), \(now.timeIntervalSince1970), \(now.timeIntervalSince1970))
                ON CONFLICT (id) DO NOTHING
                """,
                logger: logger
            )
        }
    }

    public func retryExpiryWarnings(_ ids: [DueExpiryWarning.ID], at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws {
        try await transaction { connection in
            for id in ids {
                try await connection.run(
                    """
                    UPDATE expiry_warnings SET due_at = \(at.timeIntervalSince1970), attempts = \(attempts),
                        first_attempt_at = \(firstAttemptAt.timeIntervalSince1970), last_error = \(error)
                    WHERE account_id = \(id.accountID) AND days = \(id.days) AND status = 'pending'
                    """,
                    logger: self.logger
                )
            }
        }
    }

    public func bindingExpiryCounts(now: Date) async throws -> [ExpiryBucket: Int] {
        let day: Double = 86_400
        let at = now.timeIntervalSince1970
        return try await withConnection { connection in
            let rows = try await connection.all(
                """
                SELECT expiry_source, CASE
                    WHEN expiry_source IS NULL OR expiry_source = \(Self.untrackable) THEN 'unknown'
                    WHEN expires_at IS NULL THEN 'never'
                    WHEN expires_at <= \(at) THEN 'expired'
                    WHEN expires_at <= \(at + day) THEN '1'
                    WHEN expires_at <= \(at + 3 * day) THEN '3'
                    WHEN expires_at <= \(at + 7 * day) THEN '7'
                    WHEN expires_at <= \(at + 30 * day) THEN '30'
                    ELSE 'more' END AS days_left, count(*) AS n
                FROM bindings GROUP BY 1, 2
                """,
                logger: self.logger,
                table: "bindings"
            ) { row in
                (
                    source: try row("expiry_source", as: String?.self).flatMap(KeyExpiry.Source.init(rawValue:)),
                    daysLeft: ExpiryBucket.DaysLeft(rawValue: try row("days_left", as: String.self)) ?? .unknown,
                    count: try row("n", as: Int.self)
                )
            }
            return Dictionary(
                rows.map { (ExpiryBucket(daysLeft: $0.daysLeft, source: $0.daysLeft == .unknown ? nil : $0.source), $0.count) },
                uniquingKeysWith: +
            )
        }
    }

    public func claimPlatformEvents(now: Date, limit: Int, leaseUntil: Date) async throws -> [QueuedPlatformEvent] {
        try await withConnection { connection in
            try await connection.all(
                """
                WITH due AS (
                    SELECT id, due_at AS claimed_due_at, created_at FROM platform_events
                    WHERE status = 'pending' AND due_at <= \(now.timeIntervalSince1970)
                    ORDER BY due_at, created_at LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE platform_events SET due_at = \(leaseUntil.timeIntervalSince1970) FROM due WHERE platform_events.id = due.id
                RETURNING platform_events.id, platform_events.body, platform_events.attempts, platform_events.first_attempt_at,
                          due.claimed_due_at, due.created_at
                """,
                logger: self.logger,
                table: "platform_events"
            ) { row in
                (
                    QueuedPlatformEvent(
                        id: try row("id"),
                        body: try row("body"),
                        attempts: try row("attempts", as: Int.self),
                        firstAttemptAt: try row.optionalDate("first_attempt_at")
                    ),
                    try row("claimed_due_at", as: Double.self),
                    try row("created_at", as: Double.self)
                )
            }
            .sorted { ($0.1, $0.2) < ($1.1, $1.2) }
            .map(\.0)
        }
    }

    public func retryPlatformEvent(id: String, at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE platform_events SET due_at = \(at.timeIntervalSince1970), attempts = \(attempts),
                    first_attempt_at = \(firstAttemptAt.timeIntervalSince1970), last_error = \(error)
                WHERE id = \(id) AND status = 'pending'
                """,
                logger: self.logger
            )
        }
    }

    public func endPlatformEvent(id: String, as end: BindingUpdateEnd, error: String?, now: Date) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE platform_events SET status = \(end.rawValue), last_error = \(error), ended_at = \(now.timeIntervalSince1970)
                WHERE id = \(id)
                """,
                logger: self.logger
            )
        }
    }
}
