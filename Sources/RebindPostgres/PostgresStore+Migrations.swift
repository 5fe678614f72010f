import PostgresNIO

extension PostgresStore {
    struct Migration: Sendable {
        var version: String
        var statements: [String]
    }

    /// The schema, step by step, under the SQLite store's version names. A merged step is
    /// never edited: a change is a new step. Times are seconds since 1970 as in SQLite.
    static let migrations: [Migration] = [
        Migration(
            version: "v1_events_incidents",
            statements: [
                """
                CREATE TABLE inbox (
                    webhook_id text PRIMARY KEY,
                    type text NOT NULL,
                    user_id text NOT NULL,
                    account_id text NOT NULL,
                    robot_id text,
                    cause text,
                    occurred_at double precision NOT NULL,
                    received_at double precision NOT NULL,
                    body bytea NOT NULL
                )
                """,
                """
                CREATE TABLE users (
                    id text PRIMARY KEY,
                    locale text,
                    telegram_chat_id bigint,
                    slack_team_id text,
                    slack_user_id text,
                    updated_at double precision NOT NULL
                )
                """,
                """
                CREATE TABLE bindings (
                    account_id text PRIMARY KEY,
                    user_id text NOT NULL,
                    exchange text NOT NULL,
                    label text,
                    api_key_hint text,
                    bound_at double precision,
                    updated_at double precision NOT NULL
                )
                """,
                "CREATE INDEX bindings_user ON bindings (user_id)",
                // Ingest locks a user's and account's row here before it reads their open
                // incidents, so events of one account are grouped one at a time across replicas.
                """
                CREATE TABLE incident_groups (
                    user_id text NOT NULL,
                    account_id text NOT NULL,
                    PRIMARY KEY (user_id, account_id)
                )
                """,
                """
                CREATE TABLE incidents (
                    id text PRIMARY KEY,
                    user_id text NOT NULL,
                    account_id text NOT NULL,
                    exchange text NOT NULL,
                    cause text NOT NULL,
                    robots text NOT NULL,
                    reason text NOT NULL,
                    opened_at double precision NOT NULL,
                    announce_at double precision NOT NULL,
                    reminders_sent integer NOT NULL DEFAULT 0,
                    resolved_at double precision,
                    resolution text
                )
                """,
                // One open incident per user, account and cause, whatever the replicas do.
                "CREATE UNIQUE INDEX incidents_open ON incidents (user_id, account_id, cause) WHERE resolved_at IS NULL",
                """
                CREATE TABLE notices (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    incident_id text NOT NULL REFERENCES incidents (id),
                    kind text NOT NULL,
                    due_at double precision NOT NULL,
                    created_at double precision NOT NULL,
                    status text NOT NULL DEFAULT 'pending'
                )
                """,
                "CREATE INDEX notices_pending ON notices (due_at) WHERE status = 'pending'",
            ]
        ),
        Migration(
            version: "v2_chats_conversations_delivery",
            statements: [
                """
                CREATE TABLE links (
                    token_hash text PRIMARY KEY,
                    user_id text NOT NULL,
                    created_at double precision NOT NULL,
                    expires_at double precision NOT NULL,
                    used_at double precision,
                    used_by text
                )
                """,
                """
                CREATE TABLE chats (
                    address text PRIMARY KEY,
                    user_id text NOT NULL,
                    linked_at double precision NOT NULL,
                    blocked_at double precision
                )
                """,
                "CREATE INDEX chats_user ON chats (user_id)",
                """
                CREATE TABLE updates (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    channel text NOT NULL,
                    external_id text NOT NULL,
                    payload bytea NOT NULL,
                    received_at double precision NOT NULL,
                    processed_at double precision,
                    UNIQUE (channel, external_id)
                )
                """,
                "CREATE INDEX updates_pending ON updates (id) WHERE processed_at IS NULL",
                """
                CREATE TABLE conversations (
                    address text PRIMARY KEY,
                    key_id text NOT NULL,
                    sealed bytea NOT NULL,
                    active_at double precision NOT NULL
                )
                """,
                """
                ALTER TABLE notices
                    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
                    ADD COLUMN first_attempt_at double precision,
                    ADD COLUMN last_error text,
                    ADD COLUMN priority integer NOT NULL DEFAULT 1
                """,
                """
                CREATE TABLE incident_messages (
                    incident_id text NOT NULL REFERENCES incidents (id),
                    address text NOT NULL,
                    message_id text NOT NULL,
                    PRIMARY KEY (incident_id, address)
                )
                """,
                """
                ALTER TABLE bindings
                    ADD COLUMN credentials_key_id text,
                    ADD COLUMN credentials bytea,
                    ADD COLUMN trading_expires_at double precision,
                    ADD COLUMN checked_at double precision
                """,
                """
                CREATE TABLE check_failures (
                    account_id text NOT NULL,
                    failed_at double precision NOT NULL
                )
                """,
                "CREATE INDEX check_failures_account ON check_failures (account_id, failed_at)",
            ]
        ),
        Migration(
            version: "v3_binding_updates",
            statements: [
                """
                CREATE TABLE binding_updates (
                    id text PRIMARY KEY,
                    address text NOT NULL,
                    account_id text NOT NULL,
                    key_id text NOT NULL,
                    sealed bytea NOT NULL,
                    status text NOT NULL DEFAULT 'pending',
                    due_at double precision NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    first_attempt_at double precision,
                    last_error text,
                    created_at double precision NOT NULL,
                    ended_at double precision
                )
                """,
                "CREATE INDEX binding_updates_due ON binding_updates (due_at) WHERE status = 'pending'",
                "CREATE INDEX binding_updates_chat ON binding_updates (address) WHERE status = 'pending'",
            ]
        ),
        Migration(
            version: "v4_slack_installations",
            statements: [
                """
                CREATE TABLE slack_installations (
                    team_id text PRIMARY KEY,
                    team_name text,
                    bot_user_id text,
                    key_id text NOT NULL,
                    sealed bytea NOT NULL,
                    installed_at double precision NOT NULL
                )
                """
            ]
        ),
        Migration(
            version: "v5_update_lanes",
            statements: [
                "ALTER TABLE updates ADD COLUMN lane text",
                """
                CREATE TABLE lane_leases (
                    lane text PRIMARY KEY,
                    owner text NOT NULL,
                    lease_until double precision NOT NULL
                )
                """,
            ]
        ),
        Migration(
            version: "v6_notices_by_incident",
            statements: [
                "CREATE INDEX notices_incident_pending ON notices (incident_id, id) WHERE status = 'pending'"
            ]
        ),
        Migration(
            version: "v7_chat_languages",
            statements: [
                """
                CREATE TABLE chat_languages (
                    address text PRIMARY KEY,
                    chosen text,
                    chosen_at double precision,
                    reported text,
                    reported_at double precision
                )
                """
            ]
        ),
        Migration(
            version: "v8_exchange_uid",
            statements: [
                // The exchange account (its `uid`) each platform account's key belongs to, from
                // the platform's events or an accepted key: a new key must be of the same one. A
                // table of its own, since an account that only ever had robot events has no binding.
                """
                CREATE TABLE exchange_uids (
                    account_id text PRIMARY KEY,
                    exchange_uid text NOT NULL,
                    source text NOT NULL,
                    updated_at double precision NOT NULL
                )
                """
            ]
        ),
        Migration(
            version: "v9_confirmed_links",
            statements: [
                "ALTER TABLE links ADD COLUMN display_name text NOT NULL DEFAULT ''",
                "ALTER TABLE links ADD COLUMN webhook_id text",
                "CREATE UNIQUE INDEX links_webhook_id ON links (webhook_id)",
                "ALTER TABLE chats ADD COLUMN display_name text",
                "ALTER TABLE chats ADD COLUMN detached_at double precision",
                "CREATE INDEX users_telegram_chat ON users (telegram_chat_id) WHERE telegram_chat_id IS NOT NULL",
                "CREATE INDEX users_slack_user ON users (slack_team_id, slack_user_id) WHERE slack_user_id IS NOT NULL",
            ]
        ),
        Migration(
            version: "v10_urgent_incidents",
            statements: ["ALTER TABLE incidents ADD COLUMN urgent boolean NOT NULL DEFAULT false"]
        ),
        Migration(
            // As SQLite's v10_key_expiry: each binding's lifetime facts and computed expiry
            // (`expiry_source` NULL until computed), its planned warnings, the platform's outbox.
            version: "v11_key_expiry",
            statements: [
                """
                ALTER TABLE bindings
                    ADD COLUMN platform_expires_at double precision,
                    ADD COLUMN platform_ip_restricted boolean,
                    ADD COLUMN checked_ip_restricted boolean,
                    ADD COLUMN checked_key_hint text,
                    ADD COLUMN expires_at double precision,
                    ADD COLUMN expiry_source text
                """,
                "CREATE INDEX bindings_untracked ON bindings (account_id) WHERE expiry_source IS NULL",
                """
                CREATE TABLE expiry_warnings (
                    account_id text NOT NULL,
                    days integer NOT NULL,
                    user_id text NOT NULL,
                    expires_at double precision NOT NULL,
                    due_at double precision NOT NULL,
                    status text NOT NULL DEFAULT 'pending',
                    attempts integer NOT NULL DEFAULT 0,
                    first_attempt_at double precision,
                    last_error text,
                    ended_at double precision,
                    PRIMARY KEY (account_id, days)
                )
                """,
                "CREATE INDEX expiry_warnings_due ON expiry_warnings (due_at) WHERE status = 'pending'",
                "CREATE INDEX expiry_warnings_user ON expiry_warnings (user_id, due_at) WHERE status = 'pending'",
                """
                CREATE TABLE platform_events (
                    id text PRIMARY KEY,
                    body bytea NOT NULL,
                    status text NOT NULL DEFAULT 'pending',
                    due_at double precision NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    first_attempt_at double precision,
                    last_error text,
                    created_at double precision NOT NULL,
                    ended_at double precision
                )
                """,
                "CREATE INDEX platform_events_due ON platform_events (due_at) WHERE status = 'pending'",
            ]
        ),
        Migration(
            version: "v12_incident_robots",
            statements: [
                // Each robot of an incident is a row of its own and the incident keeps their
                // totals, so an event reads and writes one robot, not the whole list (which made
                // events slower the more robots an incident had). The robots already listed in
                // the JSON column are copied in their order; the column is emptied and no
                // longer read.
                """
                CREATE TABLE incident_robots (
                    incident_id text NOT NULL REFERENCES incidents (id),
                    robot_id text NOT NULL,
                    position integer NOT NULL,
                    name text NOT NULL,
                    state text NOT NULL,
                    futures boolean,
                    open_positions integer,
                    exposure_amount text,
                    exposure_currency text,
                    PRIMARY KEY (incident_id, robot_id)
                )
                """,
                "CREATE UNIQUE INDEX incident_robots_order ON incident_robots (incident_id, position)",
                """
                ALTER TABLE incidents
                    ADD COLUMN robot_count integer NOT NULL DEFAULT 0,
                    ADD COLUMN halted_count integer NOT NULL DEFAULT 0,
                    ADD COLUMN halted_futures_count integer NOT NULL DEFAULT 0,
                    ADD COLUMN unmanaged_positions integer NOT NULL DEFAULT 0,
                    ADD COLUMN unmanaged_exposure text NOT NULL DEFAULT '{}',
                    ALTER COLUMN robots SET DEFAULT '[]'
                """,
                """
                INSERT INTO incident_robots (incident_id, robot_id, position, name, state, futures, open_positions,
                                             exposure_amount, exposure_currency)
                SELECT incidents.id, robot.value ->> 'id', robot.ordinality - 1, robot.value ->> 'name', robot.value ->> 'state',
                       (robot.value ->> 'futures')::boolean, (robot.value ->> 'openPositions')::integer,
                       robot.value -> 'exposure' ->> 'amount', robot.value -> 'exposure' ->> 'currency'
                FROM incidents, jsonb_array_elements(incidents.robots::jsonb) WITH ORDINALITY AS robot (value, ordinality)
                """,
                // Exposure is summed as numeric, exactly, per currency, as the store keeps it.
                """
                UPDATE incidents SET
                    robot_count = (SELECT count(*) FROM incident_robots r WHERE r.incident_id = incidents.id),
                    halted_count = (SELECT count(*) FROM incident_robots r WHERE r.incident_id = incidents.id AND r.state <> 'resumed'),
                    halted_futures_count = (
                        SELECT count(*) FROM incident_robots r WHERE r.incident_id = incidents.id AND r.state <> 'resumed' AND r.futures
                    ),
                    unmanaged_positions = (
                        SELECT coalesce(sum(r.open_positions), 0) FROM incident_robots r
                        WHERE r.incident_id = incidents.id AND r.state <> 'resumed'
                    ),
                    unmanaged_exposure = coalesce((
                        SELECT jsonb_object_agg(sums.currency, sums.total)::text FROM (
                            SELECT r.exposure_currency AS currency, sum(r.exposure_amount::numeric)::text AS total
                            FROM incident_robots r
                            WHERE r.incident_id = incidents.id AND r.state <> 'resumed'
                                AND r.exposure_amount IS NOT NULL AND r.exposure_currency IS NOT NULL
                            GROUP BY r.exposure_currency
                            HAVING sum(r.exposure_amount::numeric) <> 0
                        ) sums
                    ), '{}'),
                    robots = '[]'
                """,
            ]
        ),
        Migration(
            version: "v13_dead_letters",
            statements: [
                // When and on which channel a notice was given up on: the console lists dead
                // letters by time, and replay selects them by channel and time.
                "ALTER TABLE notices ADD COLUMN dead_at double precision, ADD COLUMN dead_channel text",
                "CREATE INDEX notices_dead ON notices (dead_at) WHERE status = 'dead'",
            ]
        ),
        Migration(
            version: "v14_retention",
            statements: [
                // What retention (DESIGN §7) looks for: finished rows by age, without a scan.
                "CREATE INDEX inbox_received ON inbox (received_at)",
                "CREATE INDEX updates_processed ON updates (processed_at) WHERE processed_at IS NOT NULL",
                "CREATE INDEX notices_finished ON notices (created_at) WHERE status IN ('sent', 'dead', 'waiting_for_chat')",
                "CREATE INDEX notices_incident ON notices (incident_id)",
                "CREATE INDEX incidents_resolved ON incidents (resolved_at) WHERE resolved_at IS NOT NULL",
                "CREATE INDEX binding_updates_ended ON binding_updates (ended_at) WHERE status <> 'pending'",
                "CREATE INDEX platform_events_ended ON platform_events (ended_at) WHERE status <> 'pending'",
                "CREATE INDEX links_expires ON links (expires_at)",
                "CREATE INDEX check_failures_time ON check_failures (failed_at)",
            ]
        ),
        Migration(
            version: "v15_console",
            statements: [
                // The console (DESIGN §11): every delivery attempt of a notice, and the indexes
                // its pages read by, so a page costs the same at a million events.
                """
                CREATE TABLE notice_attempts (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    notice_id bigint NOT NULL,
                    address text NOT NULL,
                    at double precision NOT NULL,
                    outcome text NOT NULL,
                    error text
                )
                """,
                "CREATE INDEX notice_attempts_notice ON notice_attempts (notice_id, at)",
                "CREATE INDEX incidents_opened ON incidents (opened_at, id)",
                "CREATE INDEX incidents_user_opened ON incidents (user_id, opened_at, id)",
                "CREATE INDEX incidents_account_opened ON incidents (account_id, opened_at, id)",
                "CREATE INDEX incidents_open_opened ON incidents (opened_at, id) WHERE resolved_at IS NULL",
                "CREATE INDEX inbox_account_received ON inbox (account_id, received_at)",
                "CREATE INDEX bindings_expires ON bindings (expires_at, account_id) WHERE expires_at IS NOT NULL",
            ]
        ),
        Migration(
            version: "v16_incident_robots_unordered",
            statements: [
                // As SQLite's v15: robots are listed by the key's range and sorted; the index
                // by position cost every event another page in a tree that grows with every
                // robot of every incident.
                "DROP INDEX incident_robots_order"
            ]
        ),
    ]

    /// Applies the steps not yet recorded in `schema_migrations`, in one transaction and
    /// under an advisory lock so replicas starting together migrate once. Returns every
    /// applied version.
    static func migrate(_ connections: Connections) async throws -> [String] {
        let logger = connections.logger
        if let schema = connections.configuration.schema {
            guard Configuration.isPlainIdentifier(schema) else {
                throw Error.invalidURL(reason: "schema must be lower-case letters, digits and underscores")
            }
            // An identifier cannot be a bound parameter; the name was checked above.
            try await connections.withConnection { connection in
                try await connection.run(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            }
        }
        return try await connections.transaction { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext('rebind.migrate.' || current_schema()))", logger: logger)
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied = Set(
                try await connection.all("SELECT version FROM schema_migrations", logger: logger, table: "schema_migrations") {
                    try $0("version", as: String.self)
                }
            )
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run("INSERT INTO schema_migrations (version) VALUES (\(migration.version))", logger: logger)
                applied.insert(migration.version)
                logger.info("Migrated", metadata: ["store.kind": "postgres", "store.migration": "\(migration.version)"])
            }
            // In the order they are declared (text order would put v10 before v2), then any
            // this build does not know of.
            let known = migrations.map(\.version).filter(applied.contains)
            return known + applied.subtracting(known).sorted()
        }
    }
}
