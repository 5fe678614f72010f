import Foundation
import GRDB
import RebindCore

extension SQLiteStore: SlackInstallationStore {
    public func saveSlackInstallation(_ installation: SlackInstallation) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO slack_installations (team_id, team_name, bot_user_id, key_id, sealed, installed_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (team_id) DO UPDATE SET
                        team_name = excluded.team_name, bot_user_id = excluded.bot_user_id,
                        key_id = excluded.key_id, sealed = excluded.sealed, installed_at = excluded.installed_at
                    """,
                arguments: [
                    installation.teamID, installation.teamName, installation.botUserID, installation.sealedToken.keyID,
                    installation.sealedToken.data, installation.installedAt.timeIntervalSince1970,
                ]
            )
        }
    }

    public func deleteSlackInstallation(teamID: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM slack_installations WHERE team_id = ?", arguments: [teamID])
            return db.changesCount > 0
        }
    }

    public func slackInstallation(teamID: String) async throws -> SlackInstallation? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM slack_installations WHERE team_id = ?", arguments: [teamID]).map { row in
                SlackInstallation(
                    teamID: row["team_id"],
                    teamName: row["team_name"],
                    botUserID: row["bot_user_id"],
                    sealedToken: SealedData(keyID: row["key_id"], data: row["sealed"]),
                    installedAt: Date(timeIntervalSince1970: row["installed_at"])
                )
            }
        }
    }
}
