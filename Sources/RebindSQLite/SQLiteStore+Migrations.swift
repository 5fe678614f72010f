import Foundation
import GRDB
import RebindCore

extension SQLiteStore {
    /// The schema, one SQL migration per step. A merged migration is never edited: a change
    /// is a new step.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_events_incidents") { db in
            try db.execute(
                sql: """
                    CREATE TABLE inbox (
                        webhook_id TEXT PRIMARY KEY NOT NULL,
                        type TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        account_id TEXT NOT NULL,
                        robot_id TEXT,
                        cause TEXT,
                        occurred_at REAL NOT NULL,
                        received_at REAL NOT NULL,
                        body BLOB NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE users (
                        id TEXT PRIMARY KEY NOT NULL,
                        locale TEXT,
                        telegram_chat_id INTEGER,
                        slack_team_id TEXT,
                        slack_user_id TEXT,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE bindings (
                        account_id TEXT PRIMARY KEY NOT NULL,
                        user_id TEXT NOT NULL,
                        exchange TEXT NOT NULL,
                        label TEXT,
                        api_key_hint TEXT,
                        bound_at REAL,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX bindings_user ON bindings(user_id);

                    CREATE TABLE incidents (
                        id TEXT PRIMARY KEY NOT NULL,
                        user_id TEXT NOT NULL,
                        account_id TEXT NOT NULL,
                        exchange TEXT NOT NULL,
                        cause TEXT NOT NULL,
                        robots TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        opened_at REAL NOT NULL,
                        announce_at REAL NOT NULL,
                        reminders_sent INTEGER NOT NULL DEFAULT 0,
                        resolved_at REAL,
                        resolution TEXT
                    ) WITHOUT ROWID;
                    CREATE INDEX incidents_open ON incidents(user_id, account_id) WHERE resolved_at IS NULL;

                    CREATE TABLE notices (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        incident_id TEXT NOT NULL REFERENCES incidents(id),
                        kind TEXT NOT NULL,
                        due_at REAL NOT NULL,
                        created_at REAL NOT NULL,
                        status TEXT NOT NULL DEFAULT 'pending'
                    );
                    CREATE INDEX notices_pending ON notices(due_at) WHERE status = 'pending';
                    """
            )
        }
        migrator.registerMigration("v2_chats_conversations_delivery") { db in
            try db.execute(
                sql: """
                    CREATE TABLE links (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        user_id TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        used_at REAL,
                        used_by TEXT
                    ) WITHOUT ROWID;

                    CREATE TABLE chats (
                        address TEXT PRIMARY KEY NOT NULL,
                        user_id TEXT NOT NULL,
                        linked_at REAL NOT NULL,
                        blocked_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX chats_user ON chats(user_id);

                    CREATE TABLE updates (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        channel TEXT NOT NULL,
                        external_id TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        received_at REAL NOT NULL,
                        processed_at REAL,
                        UNIQUE (channel, external_id)
                    );
                    CREATE INDEX updates_pending ON updates(id) WHERE processed_at IS NULL;

                    CREATE TABLE conversations (
                        address TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL,
                        sealed BLOB NOT NULL,
                        active_at REAL NOT NULL
                    ) WITHOUT ROWID;

                    ALTER TABLE notices ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE notices ADD COLUMN first_attempt_at REAL;
                    ALTER TABLE notices ADD COLUMN last_error TEXT;
                    ALTER TABLE notices ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;

                    CREATE TABLE incident_messages (
                        incident_id TEXT NOT NULL REFERENCES incidents(id),
                        address TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        PRIMARY KEY (incident_id, address)
                    ) WITHOUT ROWID;

                    ALTER TABLE bindings ADD COLUMN credentials_key_id TEXT;
                    ALTER TABLE bindings ADD COLUMN credentials BLOB;
                    ALTER TABLE bindings ADD COLUMN trading_expires_at REAL;
                    ALTER TABLE bindings ADD COLUMN checked_at REAL;

                    CREATE TABLE check_failures (
                        account_id TEXT NOT NULL,
                        failed_at REAL NOT NULL
                    );
                    CREATE INDEX check_failures_account ON check_failures(account_id, failed_at);
                    """
            )
        }
        migrator.registerMigration("v3_binding_updates") { db in
            try db.execute(
                sql: """
                    CREATE TABLE binding_updates (
                        id TEXT PRIMARY KEY NOT NULL,
                        address TEXT NOT NULL,
                        account_id TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        sealed BLOB NOT NULL,
                        status TEXT NOT NULL DEFAULT 'pending',
                        due_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        first_attempt_at REAL,
                        last_error TEXT,
                        created_at REAL NOT NULL,
                        ended_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX binding_updates_due ON binding_updates(due_at) WHERE status = 'pending';
                    CREATE INDEX binding_updates_chat ON binding_updates(address) WHERE status = 'pending';
                    """
            )
        }
        migrator.registerMigration("v4_slack_installations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE slack_installations (
                        team_id TEXT PRIMARY KEY NOT NULL,
                        team_name TEXT,
                        bot_user_id TEXT,
                        key_id TEXT NOT NULL,
                        sealed BLOB NOT NULL,
                        installed_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v5_update_lanes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE updates ADD COLUMN lane TEXT;
                    CREATE TABLE lane_leases (
                        lane TEXT PRIMARY KEY NOT NULL,
                        owner TEXT NOT NULL,
                        lease_until REAL NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v6_chat_languages") { db in
            try db.execute(
                sql: """
                    CREATE TABLE chat_languages (
                        address TEXT PRIMARY KEY NOT NULL,
                        chosen TEXT,
                        chosen_at REAL,
                        reported TEXT,
                        reported_at REAL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v7_exchange_uid") { db in
            // The exchange account (its `uid`) each platform account's key belongs to, from the
            // platform's events or an accepted key: a new key must be of the same one. A table of
            // its own, since an account that only ever had robot events has no binding row.
            try db.execute(
                sql: """
                    CREATE TABLE exchange_uids (
                        account_id TEXT PRIMARY KEY NOT NULL,
                        exchange_uid TEXT NOT NULL,
                        source TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v8_confirmed_links") { db in
            try db.execute(
                sql: """
                    ALTER TABLE links ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
                    ALTER TABLE links ADD COLUMN webhook_id TEXT;
                    CREATE UNIQUE INDEX links_webhook_id ON links(webhook_id);
                    ALTER TABLE chats ADD COLUMN display_name TEXT;
                    ALTER TABLE chats ADD COLUMN detached_at REAL;
                    CREATE INDEX users_telegram_chat ON users(telegram_chat_id) WHERE telegram_chat_id IS NOT NULL;
                    CREATE INDEX users_slack_user ON users(slack_team_id, slack_user_id) WHERE slack_user_id IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v9_urgent_incidents") { db in
            try db.execute(sql: "ALTER TABLE incidents ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v10_key_expiry") { db in
            // What each binding's key lifetime rests on (the platform's word, the last check's),
            // the expiry computed from it, the warnings planned before it and the events queued
            // for the platform. `expiry_source` NULL marks a binding whose expiry is not yet
            // computed: the service computes those at start.
            try db.execute(
                sql: """
                    ALTER TABLE bindings ADD COLUMN platform_expires_at REAL;
                    ALTER TABLE bindings ADD COLUMN platform_ip_restricted INTEGER;
                    ALTER TABLE bindings ADD COLUMN checked_ip_restricted INTEGER;
                    ALTER TABLE bindings ADD COLUMN checked_key_hint TEXT;
                    ALTER TABLE bindings ADD COLUMN expires_at REAL;
                    ALTER TABLE bindings ADD COLUMN expiry_source TEXT;
                    CREATE INDEX bindings_untracked ON bindings(account_id) WHERE expiry_source IS NULL;

                    CREATE TABLE expiry_warnings (
                        account_id TEXT NOT NULL,
                        days INTEGER NOT NULL,
                        user_id TEXT NOT NULL,
                        expires_at REAL NOT NULL,
                        due_at REAL NOT NULL,
                        status TEXT NOT NULL DEFAULT 'pending',
                        attempts INTEGER NOT NULL DEFAULT 0,
                        first_attempt_at REAL,
                        last_error TEXT,
                        ended_at REAL,
                        PRIMARY KEY (account_id, days)
                    ) WITHOUT ROWID;
                    CREATE INDEX expiry_warnings_due ON expiry_warnings(due_at) WHERE status = 'pending';
                    CREATE INDEX expiry_warnings_user ON expiry_warnings(user_id, due_at) WHERE status = 'pending';

                    CREATE TABLE platform_events (
                        id TEXT PRIMARY KEY NOT NULL,
                        body BLOB NOT NULL,
                        status TEXT NOT NULL DEFAULT 'pending',
                        due_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        first_attempt_at REAL,
                        last_error TEXT,
                        created_at REAL NOT NULL,
                        ended_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX platform_events_due ON platform_events(due_at) WHERE status = 'pending';
                    """
            )
        }
        migrator.registerMigration("v11_incident_robots") { db in
            // Each robot of an incident is a row of its own and the incident keeps their totals,
            // so an event reads and writes one robot, not the whole list (which made events
            // slower the more robots an incident had). The robots already listed in the JSON
            // column are copied in their order; the column is emptied and no longer read (a
            // column cannot be dropped on every SQLite this runs on).
            try db.execute(
                sql: """
                    CREATE TABLE incident_robots (
                        incident_id TEXT NOT NULL REFERENCES incidents(id),
                        robot_id TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        name TEXT NOT NULL,
                        state TEXT NOT NULL,
                        futures INTEGER,
                        open_positions INTEGER,
                        exposure_amount TEXT,
                        exposure_currency TEXT,
                        PRIMARY KEY (incident_id, robot_id)
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX incident_robots_order ON incident_robots(incident_id, position);

                    ALTER TABLE incidents ADD COLUMN robot_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE incidents ADD COLUMN halted_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE incidents ADD COLUMN halted_futures_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE incidents ADD COLUMN unmanaged_positions INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE incidents ADD COLUMN unmanaged_exposure TEXT NOT NULL DEFAULT '{}';

                    INSERT INTO incident_robots (incident_id, robot_id, position, name, state, futures, open_positions,
                                                 exposure_amount, exposure_currency)
                    SELECT incidents.id, json_extract(robot.value, '$.id'), robot.key, json_extract(robot.value, '$.name'),
                           json_extract(robot.value, '$.state'), json_extract(robot.value, '$.futures'),
                           json_extract(robot.value, '$.openPositions'), json_extract(robot.value, '$.exposure.amount'),
                           json_extract(robot.value, '$.exposure.currency')
                    FROM incidents, json_each(incidents.robots) AS robot;

                    UPDATE incidents SET
                        robot_count = (SELECT count(*) FROM incident_robots WHERE incident_id = incidents.id),
                        halted_count = (SELECT count(*) FROM incident_robots WHERE incident_id = incidents.id AND state <> 'resumed'),
                        halted_futures_count = (
                            SELECT count(*) FROM incident_robots WHERE incident_id = incidents.id AND state <> 'resumed' AND futures = 1
                        ),
                        unmanaged_positions = (
                            SELECT coalesce(sum(open_positions), 0) FROM incident_robots
                            WHERE incident_id = incidents.id AND state <> 'resumed'
                        ),
                        robots = '[]';
                    """
            )
            // SQLite sums decimals as floating point: the exposure is summed here, exactly.
            var sums: [String: [String: Decimal]] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT incident_id, exposure_amount, exposure_currency FROM incident_robots
                    WHERE state <> 'resumed' AND exposure_amount IS NOT NULL AND exposure_currency IS NOT NULL
                    """
            )
            while let row = try rows.next() {
                let exposure = RobotEvent.Robot.Exposure(amount: row["exposure_amount"], currency: row["exposure_currency"])
                guard let value = exposure.value else { continue }
                sums[row["incident_id"], default: [:]][exposure.currency, default: 0] += value
            }
            for (incidentID, exposure) in sums {
                try db.execute(
                    sql: "UPDATE incidents SET unmanaged_exposure = ? WHERE id = ?",
                    arguments: [JSONText.object(Incident.Totals(exposure: exposure.filter { $0.value != 0 }).exposureAmounts), incidentID]
                )
            }
        }
        migrator.registerMigration("v12_dead_letters") { db in
            // When and on which channel a notice was given up on: the console lists dead letters
            // by time, and replay selects them by channel and time.
            try db.execute(
                sql: """
                    ALTER TABLE notices ADD COLUMN dead_at REAL;
                    ALTER TABLE notices ADD COLUMN dead_channel TEXT;
                    CREATE INDEX notices_dead ON notices(dead_at) WHERE status = 'dead';
                    """
            )
        }
        migrator.registerMigration("v13_retention") { db in
            // What retention (DESIGN §7) looks for: finished rows by age, without a scan.
            try db.execute(
                sql: """
                    CREATE INDEX inbox_received ON inbox(received_at);
                    CREATE INDEX updates_processed ON updates(processed_at) WHERE processed_at IS NOT NULL;
                    CREATE INDEX notices_finished ON notices(created_at) WHERE status IN ('sent', 'dead', 'waiting_for_chat');
                    CREATE INDEX notices_incident ON notices(incident_id);
                    CREATE INDEX incidents_resolved ON incidents(resolved_at) WHERE resolved_at IS NOT NULL;
                    CREATE INDEX binding_updates_ended ON binding_updates(ended_at) WHERE status <> 'pending';
                    CREATE INDEX platform_events_ended ON platform_events(ended_at) WHERE status <> 'pending';
                    CREATE INDEX links_expires ON links(expires_at);
                    CREATE INDEX check_failures_time ON check_failures(failed_at);
                    """
            )
        }
        migrator.registerMigration("v14_console") { db in
            // The console (DESIGN §11): every delivery attempt of a notice, and the indexes its
            // pages read by, so a page costs the same at a million events.
            try db.execute(
                sql: """
                    CREATE TABLE notice_attempts (
                        notice_id INTEGER NOT NULL,
                        address TEXT NOT NULL,
                        at REAL NOT NULL,
                        outcome TEXT NOT NULL,
                        error TEXT
                    );
                    CREATE INDEX notice_attempts_notice ON notice_attempts(notice_id, at);
                    CREATE INDEX incidents_opened ON incidents(opened_at, id);
                    CREATE INDEX incidents_user_opened ON incidents(user_id, opened_at, id);
                    CREATE INDEX incidents_account_opened ON incidents(account_id, opened_at, id);
                    CREATE INDEX incidents_open_opened ON incidents(opened_at, id) WHERE resolved_at IS NULL;
                    CREATE INDEX inbox_account_received ON inbox(account_id, received_at);
                    CREATE INDEX bindings_expires ON bindings(expires_at, account_id) WHERE expires_at IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v15_incident_robots_unordered") { db in
            // An incident's robots are listed by its key's range and sorted, which only a
            // message or a console page does; the index by position cost every event a page of
            // its own, anywhere in a B-tree that grows with every robot of every incident, so
            // an exchange-wide purge slowed as incidents grew (bench/README.md, issue 15).
            try db.execute(sql: "DROP INDEX incident_robots_order")
        }
        migrator.registerMigration("v16_inbox_row_key") { db in
            // The inbox keyed by an integer row id, its webhook id a unique index: a stored event
            // (its body several hundred bytes) is appended at the end of the table instead of
            // being placed among all others by its webhook id, which a sender of random ids
            // scatters over the whole table; and the indexes by time and by account hold a row
            // id beside their key instead of the webhook id (bench/README.md, issue 15). Events
            // are copied in the order they were received, so row ids follow it.
            try db.execute(
                sql: """
                    CREATE TABLE inbox_by_row (
                        id INTEGER PRIMARY KEY,
                        webhook_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        account_id TEXT NOT NULL,
                        robot_id TEXT,
                        cause TEXT,
                        occurred_at REAL NOT NULL,
                        received_at REAL NOT NULL,
                        body BLOB NOT NULL
                    );
                    INSERT INTO inbox_by_row (webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body)
                    SELECT webhook_id, type, user_id, account_id, robot_id, cause, occurred_at, received_at, body
                    FROM inbox ORDER BY received_at, webhook_id;
                    DROP TABLE inbox;
                    ALTER TABLE inbox_by_row RENAME TO inbox;
                    CREATE UNIQUE INDEX inbox_webhook ON inbox(webhook_id);
                    CREATE INDEX inbox_received ON inbox(received_at);
                    CREATE INDEX inbox_account_received ON inbox(account_id, received_at);
                    """
            )
        }
        return migrator
    }
}
