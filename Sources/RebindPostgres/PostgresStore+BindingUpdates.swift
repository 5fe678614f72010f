import Foundation
import PostgresNIO
import RebindCore

extension PostgresStore {
    public func queueBindingUpdate(_ update: QueuedBindingUpdate, conversation: SealedData, activeAt: Date, now: Date) async throws {
        try await transaction { connection in
            let logger = self.logger
            try await Self.insertBindingUpdate(update, now: now, on: connection, logger: logger)
            try await connection.run(
                """
                INSERT INTO conversations (address, key_id, sealed, active_at)
                VALUES (\(update.chat.description), \(conversation.keyID), \(conversation.data), \(activeAt.timeIntervalSince1970))
                ON CONFLICT (address) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, active_at = excluded.active_at
                """,
                logger: logger
            )
        }
    }

    /// A second update with the same id is ignored.
    static func insertBindingUpdate(_ update: QueuedBindingUpdate, now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            INSERT INTO binding_updates (id, address, account_id, key_id, sealed, due_at, created_at)
            VALUES (\(update.id), \(update.chat.description), \(update.accountID), \(update.sealed.keyID), \(update.sealed.data),
                    \(now.timeIntervalSince1970), \(now.timeIntervalSince1970))
            ON CONFLICT (id) DO NOTHING
            """,
            logger: logger
        )
    }

    public func queueBindingUpdate(_ update: QueuedBindingUpdate, telling input: LaneInput, now: Date) async throws {
        try await transaction { connection in
            let logger = self.logger
            try await Self.insertBindingUpdate(update, now: now, on: connection, logger: logger)
            try await connection.run(
                """
                INSERT INTO updates (channel, external_id, lane, payload, received_at)
                VALUES (\(input.channel.rawValue), \(input.externalID), \(input.lane), \(input.payload), \(now.timeIntervalSince1970))
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
        }
    }

    /// Claimed like notices: `FOR UPDATE SKIP LOCKED`, the lease is `due_at` moved forward,
    /// and an expired lease is a due update that any replica may take.
    public func claimBindingUpdates(now: Date, limit: Int, leaseUntil: Date) async throws -> [QueuedBindingUpdate] {
        try await withConnection { connection in
            try await connection.all(
                """
                WITH due AS (
                    SELECT id, due_at AS claimed_due_at, created_at FROM binding_updates
                    WHERE status = 'pending' AND due_at <= \(now.timeIntervalSince1970)
                    ORDER BY due_at, created_at LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE binding_updates SET due_at = \(leaseUntil.timeIntervalSince1970) FROM due WHERE binding_updates.id = due.id
                RETURNING binding_updates.id, binding_updates.address, binding_updates.account_id, binding_updates.key_id,
                          binding_updates.sealed, binding_updates.attempts, binding_updates.first_attempt_at,
                          due.claimed_due_at, due.created_at
                """,
                logger: self.logger,
                table: "binding_updates"
            ) { row -> (QueuedBindingUpdate?, Double, Double) in
                let update = try ChatAddress(storageKey: try row("address", as: String.self)).map { chat in
                    QueuedBindingUpdate(
                        id: try row("id"),
                        chat: chat,
                        accountID: try row("account_id"),
                        sealed: SealedData(keyID: try row("key_id"), data: try row("sealed")),
                        attempts: try row("attempts", as: Int.self),
                        firstAttemptAt: try row.optionalDate("first_attempt_at")
                    )
                }
                // In claim order: RETURNING gives rows in no particular order.
                return (update, try row("claimed_due_at", as: Double.self), try row("created_at", as: Double.self))
            }
            .sorted { ($0.1, $0.2) < ($1.1, $1.2) }
            .compactMap(\.0)
        }
    }

    public func retryBindingUpdate(id: String, at: Date, attempts: Int, firstAttemptAt: Date, error: String?) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE binding_updates SET due_at = \(at.timeIntervalSince1970), attempts = \(attempts),
                    first_attempt_at = \(firstAttemptAt.timeIntervalSince1970), last_error = coalesce(\(error), last_error)
                WHERE id = \(id) AND status = 'pending'
                """,
                logger: self.logger
            )
        }
    }

    public func endBindingUpdate(id: String, as end: BindingUpdateEnd, error: String?, now: Date) async throws {
        try await withConnection { connection in
            // The credentials are not needed any more: wiped with the row's end.
            try await connection.run(
                """
                UPDATE binding_updates SET status = \(end.rawValue), last_error = \(error), ended_at = \(now.timeIntervalSince1970),
                    sealed = ''::bytea
                WHERE id = \(id)
                """,
                logger: self.logger
            )
        }
    }

    public func hasPendingBindingUpdate(chat: ChatAddress) async throws -> Bool {
        try await withConnection { connection in
            try await connection.first(
                "SELECT EXISTS (SELECT 1 FROM binding_updates WHERE address = \(chat.description) AND status = 'pending') AS pending",
                logger: self.logger,
                table: "binding_updates",
                { try $0("pending", as: Bool.self) }
            ) ?? false
        }
    }
}

extension PostgresStore: SlackInstallationStore {
    public func saveSlackInstallation(_ installation: SlackInstallation) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO slack_installations (team_id, team_name, bot_user_id, key_id, sealed, installed_at)
                VALUES (\(installation.teamID), \(installation.teamName), \(installation.botUserID), \(installation.sealedToken.keyID),
                        \(installation.sealedToken.data), \(installation.installedAt.timeIntervalSince1970))
                ON CONFLICT (team_id) DO UPDATE SET
                    team_name = excluded.team_name, bot_user_id = excluded.bot_user_id,
                    key_id = excluded.key_id, sealed = excluded.sealed, installed_at = excluded.installed_at
                """,
                logger: self.logger
            )
        }
    }

    public func deleteSlackInstallation(teamID: String) async throws -> Bool {
        try await withConnection { connection in
            try await connection.run("DELETE FROM slack_installations WHERE team_id = \(teamID) RETURNING 1", logger: self.logger) > 0
        }
    }

    public func slackInstallation(teamID: String) async throws -> SlackInstallation? {
        try await withConnection { connection in
            try await connection.first(
                "SELECT * FROM slack_installations WHERE team_id = \(teamID)",
                logger: self.logger,
                table: "slack_installations"
            ) { row in
                SlackInstallation(
                    teamID: try row("team_id"),
                    teamName: try row("team_name", as: String?.self),
                    botUserID: try row("bot_user_id", as: String?.self),
                    sealedToken: SealedData(keyID: try row("key_id"), data: try row("sealed")),
                    installedAt: try row.date("installed_at")
                )
            }
        }
    }
}
