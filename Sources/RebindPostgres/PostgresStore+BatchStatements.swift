import Logging
import PostgresNIO
import RebindCore

extension PostgresStore {
    /// The two statements every ingest batch writes with, as named prepared statements: each
    /// connection parses them once and then only binds and executes. Their plans cannot go
    /// stale: each inserts from its array parameters, and conflicts are found by the unique
    /// index they name.
    ///
    /// The batch's two reads (its open incidents and robot rows) stay unnamed, planned on every
    /// batch: prepared, PostgreSQL switched them to a generic plan made while the tables were
    /// nearly empty, a scan that cost 3.4 ms a batch once they had grown (bench/README.md,
    /// issue 15). No statement here returns a column it does not name, so a newer replica's
    /// migration adding one cannot make it fail with "cached plan must not change result type".
    /// With a pooler in front of PostgreSQL, named statements need session pooling (or
    /// PgBouncer 1.21+ with `max_prepared_statements`).
    enum BatchStatement {
        /// Inserts the batch's new events, in id order, and returns the ids it inserted; for
        /// those events only, upserts their users (only those that changed are rewritten) and
        /// takes the grouping row locks of their accounts, both in key order.
        struct InsertInbox: PostgresPreparedStatement {
            static let name = "rebind_batch_insert_inbox_lock"
            static let sql = """
                WITH inserted AS (
                    INSERT INTO inbox (webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body)
                    SELECT webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body
                    FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9)
                        WITH ORDINALITY AS batch (webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body, position)
                    ORDER BY position
                    ON CONFLICT (webhook_id) DO NOTHING
                    RETURNING webhook_id
                ), stored AS (
                    SELECT * FROM unnest($10, $11, $12, $13, $14, $15, $16, $17)
                        WITH ORDINALITY AS event (webhook_id, user_id, account_id, locale, telegram_chat_id, slack_team_id, slack_user_id,
                                                  received_at, position)
                    WHERE event.webhook_id IN (SELECT webhook_id FROM inserted)
                ), latest AS (
                    -- Each field from the user's latest event that has it; Slack's team and user as a pair.
                    SELECT user_id AS id,
                           (array_agg(locale ORDER BY position DESC) FILTER (WHERE locale IS NOT NULL))[1] AS locale,
                           (array_agg(telegram_chat_id ORDER BY position DESC) FILTER (WHERE telegram_chat_id IS NOT NULL))[1]
                               AS telegram_chat_id,
                           (array_agg(slack_team_id ORDER BY position DESC) FILTER (WHERE slack_user_id IS NOT NULL))[1] AS slack_team_id,
                           (array_agg(slack_user_id ORDER BY position DESC) FILTER (WHERE slack_user_id IS NOT NULL))[1] AS slack_user_id,
                           (array_agg(received_at ORDER BY position DESC))[1] AS updated_at
                    FROM stored GROUP BY user_id
                ), known AS (
                    INSERT INTO users (id, locale, telegram_chat_id, slack_team_id, slack_user_id, updated_at)
                    SELECT id, locale, telegram_chat_id, slack_team_id, slack_user_id, updated_at FROM latest ORDER BY id
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
                ), locks AS (
                    INSERT INTO incident_groups (user_id, account_id)
                    SELECT DISTINCT user_id, account_id FROM stored ORDER BY user_id, account_id
                    ON CONFLICT (user_id, account_id) DO UPDATE SET user_id = excluded.user_id
                    RETURNING 1
                )
                -- Data-modifying WITH clauses run to completion whether or not they are read.
                SELECT webhook_id FROM inserted
                """
            let bindings: PostgresBindings

            func makeBindings() -> PostgresBindings { bindings }

            func decodeRow(_ row: PostgresRow) throws -> String {
                try Columns(row: row.makeRandomAccess(), table: "inbox")("webhook_id")
            }
        }

        /// Every incident (inserted or updated, in the order given), robot row and new notice.
        struct Write: PostgresPreparedStatement {
            typealias Row = ()
            static let name = "rebind_batch_write"
            static let sql = """
                WITH saved AS (
                    INSERT INTO incidents (id, user_id, account_id, exchange, cause, reason, opened_at,
                                           announce_at, reminders_sent, resolved_at, resolution, urgent,
                                           robot_count, halted_count, halted_futures_count, unmanaged_positions, unmanaged_exposure)
                    SELECT id, user_id, account_id, exchange, cause, reason, opened_at, announce_at, reminders_sent, resolved_at,
                           resolution, urgent, robot_count, halted_count, halted_futures_count, unmanaged_positions, unmanaged_exposure
                    FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                        WITH ORDINALITY AS batch (id, user_id, account_id, exchange, cause, reason, opened_at, announce_at, reminders_sent,
                                                  resolved_at, resolution, urgent, robot_count, halted_count, halted_futures_count,
                                                  unmanaged_positions, unmanaged_exposure, position)
                    ORDER BY position
                    ON CONFLICT (id) DO UPDATE SET
                        reason = excluded.reason,
                        reminders_sent = excluded.reminders_sent, resolved_at = excluded.resolved_at,
                        resolution = excluded.resolution, urgent = excluded.urgent,
                        robot_count = excluded.robot_count, halted_count = excluded.halted_count,
                        halted_futures_count = excluded.halted_futures_count, unmanaged_positions = excluded.unmanaged_positions,
                        unmanaged_exposure = excluded.unmanaged_exposure
                    RETURNING id
                ), robots AS (
                    INSERT INTO incident_robots (incident_id, robot_id, position, name, state, futures, open_positions,
                                                 exposure_amount, exposure_currency)
                    SELECT * FROM unnest($18, $19, $20, $21, $22, $23, $24, $25, $26)
                    ON CONFLICT (incident_id, robot_id) DO UPDATE SET
                        name = excluded.name, state = excluded.state, futures = excluded.futures,
                        open_positions = excluded.open_positions, exposure_amount = excluded.exposure_amount,
                        exposure_currency = excluded.exposure_currency
                    RETURNING 1
                )
                -- Data-modifying WITH clauses run to completion whether or not they are read.
                INSERT INTO notices (incident_id, kind, due_at, created_at, priority)
                SELECT * FROM unnest($27, $28, $29, $30, $31)
                """
            let bindings: PostgresBindings

            func makeBindings() -> PostgresBindings { bindings }

            func decodeRow(_ row: PostgresRow) throws {}
        }
    }
}

extension PostgresBindings {
    /// Bindings for `$1`, `$2`, … in the order given.
    init(_ values: [any PostgresDynamicTypeEncodable]) {
        self.init(capacity: values.count)
        for value in values { append(value) }
    }
}

extension PostgresConnection {
    /// Executes a prepared statement (preparing it first on this connection) and collects its rows.
    func all<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }

    /// Executes a prepared statement that returns no rows.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws where Statement.Row == () {
        // Drained as a row sequence: postgres-nio's command-tag variant traps when its stream has not ended.
        let rows: AsyncThrowingMapSequence<PostgresRowSequence, Statement.Row> = try await execute(statement, logger: logger)
        for try await _ in rows {}
    }
}
