import Foundation
import Logging
import PostgresNIO
import RebindCore

extension PostgresStore {
    /// Stores the event and everything it causes, committed before this returns. Events that
    /// arrive together share one transaction (`ingest(batch:)`); the batch's outcome is each
    /// event's as if it had been alone.
    public func ingest(_ event: IncomingEvent) async throws -> IngestOutcome {
        try await committer.submit(event)
    }

    /// Writes a batch in one transaction. A transaction that lost a race to another replica
    /// (a deadlock victim, a unique key taken meanwhile) is run again; the second run sees the
    /// winner's rows. A batch that still fails is written one event per transaction, so one
    /// event that cannot be stored fails alone and its batch mates are stored.
    static func ingest(
        _ batch: [IncomingEvent],
        book: IncidentBook,
        expiryPolicy: ExpiryPolicy,
        connections: Connections,
        logger: Logger
    ) async -> [Result<IngestOutcome, any Swift.Error>] {
        func retrying<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
            var attempt = 1
            while true {
                do {
                    return try await connections.transaction(body)
                } catch let error as Error where error.isRetryable && attempt < 3 {
                    attempt += 1
                    logger.debug("Ingest retried", metadata: ["events": "\(batch.count)", "error": "\(error)"])
                }
            }
        }
        if batch.count > 1 {
            do {
                let outcomes = try await retrying { connection in
                    try await Self.ingest(batch: batch, book: book, expiryPolicy: expiryPolicy, on: connection, logger: logger)
                }
                return outcomes.map { .success($0) }
            } catch {
                logger.warning(
                    "A batch of events failed; its events are written one at a time",
                    metadata: ["events": "\(batch.count)", "error": "\(error)"]
                )
            }
        }
        var results: [Result<IngestOutcome, any Swift.Error>] = []
        for incoming in batch {
            do {
                results.append(
                    .success(
                        try await retrying { connection in
                            try await Self.ingest(batch: [incoming], book: book, expiryPolicy: expiryPolicy, on: connection, logger: logger)[0]
                        }
                    )
                )
            } catch {
                results.append(.failure(error))
            }
        }
        return results
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

    /// Keeps what an `api_binding.created`/`updated` event says of the binding, with its expiry
    /// and warnings planned afresh (`replanExpiry`, computed here from the row being written):
    /// the row, locked; then the row, its expiry and the stale warnings in one statement; then
    /// the new warnings, if any.
    ///
    /// A row that was not there to lock may be being created by another transaction (a key
    /// applied through Rebind, with its warnings): the upsert then waits for it, but a delete in
    /// the same statement works from the statement's older snapshot and would miss the warnings
    /// it planned. For a new row the stale warnings go in a statement of their own, after.
    static func saveBinding(_ event: RobotEvent, at now: Date, policy: ExpiryPolicy, on connection: PostgresConnection, logger: Logger) async throws {
        let account = event.account
        // A binding is as old as the platform says; failing that, as old as this event.
        let boundAt = account.boundAt ?? event.occurredAt
        let stored = try await connection.first(
            "SELECT * FROM bindings WHERE account_id = \(account.id) FOR UPDATE",
            logger: logger,
            table: "bindings",
            lifetime(from:)
        )
        let lifetime = asStored((stored ?? BindingLifetime()).afterEvent(account, boundAt: boundAt))
        let plan = policy.plan(exchange: account.exchange, lifetime: lifetime, ended: [], now: now)
        let expiresAt = plan.expiry?.expiresAt?.timeIntervalSince1970
        let locked = stored != nil
        try await connection.run(
            """
            WITH stale AS (
                DELETE FROM expiry_warnings
                WHERE \(locked) AND account_id = \(account.id)
                    AND NOT (status <> 'pending' AND expires_at IS NOT DISTINCT FROM \(expiresAt))
            )
            INSERT INTO bindings (account_id, user_id, exchange, label, api_key_hint, bound_at, updated_at,
                                  platform_expires_at, platform_ip_restricted, trading_expires_at,
                                  checked_ip_restricted, checked_key_hint, expires_at, expiry_source)
            VALUES (\(account.id), \(event.user.id), \(account.exchange), \(account.label), \(account.apiKeyHint),
                    \(boundAt.timeIntervalSince1970), \(now.timeIntervalSince1970),
                    \(lifetime.platformExpiresAt?.timeIntervalSince1970), \(lifetime.platformIPRestricted),
                    \(lifetime.checkedExpiresAt?.timeIntervalSince1970), \(lifetime.checkedIPRestricted), \(lifetime.checkedKeyHint),
                    \(expiresAt), \(plan.expiry?.source.rawValue ?? untrackable))
            ON CONFLICT (account_id) DO UPDATE SET
                user_id = excluded.user_id, exchange = excluded.exchange,
                label = coalesce(excluded.label, bindings.label),
                api_key_hint = coalesce(excluded.api_key_hint, bindings.api_key_hint),
                bound_at = excluded.bound_at, updated_at = excluded.updated_at,
                platform_expires_at = excluded.platform_expires_at,
                platform_ip_restricted = excluded.platform_ip_restricted,
                trading_expires_at = excluded.trading_expires_at,
                checked_ip_restricted = excluded.checked_ip_restricted,
                checked_key_hint = excluded.checked_key_hint,
                expires_at = excluded.expires_at, expiry_source = excluded.expiry_source
            """,
            logger: logger
        )
        if !locked {
            try await deleteStaleWarnings(accountID: account.id, expiresAt: expiresAt, on: connection, logger: logger)
        }
        try await insertWarnings(plan, accountID: account.id, userID: event.user.id, on: connection, logger: logger)
    }

    /// A lifetime as its row gives it back (`lifetime(from:)`: seconds since 1970 in a double),
    /// so an expiry planned before the write is the one a later replan reads, to the last bit:
    /// warnings already told are kept by comparing it.
    static func asStored(_ lifetime: BindingLifetime) -> BindingLifetime {
        func stored(_ date: Date?) -> Date? { date.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970) } }
        var lifetime = lifetime
        lifetime.boundAt = stored(lifetime.boundAt)
        lifetime.platformExpiresAt = stored(lifetime.platformExpiresAt)
        lifetime.checkedExpiresAt = stored(lifetime.checkedExpiresAt)
        return lifetime
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

    /// Recovery (updates, resolutions) goes before first announcements, and those before reminders.
    static func noticeRow(_ notice: IncidentNotice, now: Date) -> (kind: String, dueAt: Date, priority: Int) {
        switch notice {
        case .announce(_, let at): ("announce", at, 1)
        case .update: ("update", now, 0)
        case .resolve: ("resolve", now, 0)
        case .withdraw: ("withdraw", now, 0)
        }
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
