import Foundation
import GRDB
import RebindCore

extension SQLiteStore: RetentionStore {
    public func deleteFinished(_ cutoffs: RetentionCutoffs, batch: Int) async throws -> [RetentionTable: Int] {
        let finished = cutoffs.finished.timeIntervalSince1970
        let processed = cutoffs.processedUpdates.timeIntervalSince1970
        // One short transaction per table: ingest and delivery wait for a batch, not a pass.
        var deleted: [RetentionTable: Int] = [:]
        for table in RetentionTable.allCases {
            deleted[table] = try await pool.write { db in
                try Self.deleteFinished(table, finished: finished, processed: processed, batch: batch, in: db)
            }
        }
        return deleted
    }

    static func deleteFinished(_ table: RetentionTable, finished: Double, processed: Double, batch: Int, in db: Database) throws -> Int {
        switch table {
        case .events:
            try db.execute(
                sql: "DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE received_at < ? LIMIT ?)",
                arguments: [finished, batch]
            )
        case .updates:
            try db.execute(
                sql: """
                    DELETE FROM updates WHERE id IN (
                        SELECT id FROM updates WHERE processed_at IS NOT NULL AND processed_at < ? LIMIT ?
                    )
                    """,
                arguments: [processed, batch]
            )
        case .notices:
            // Sent, dead, or parked for a chat that was never linked; never a pending one. Their
            // delivery attempts go with them.
            let ids = try Int64.fetchAll(
                db,
                sql: "SELECT id FROM notices WHERE status IN ('sent', 'dead', 'waiting_for_chat') AND created_at < ? LIMIT ?",
                arguments: [finished, batch]
            )
            for id in ids {
                try db.execute(sql: "DELETE FROM notice_attempts WHERE notice_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM notices WHERE id = ?", arguments: [id])
            }
            return ids.count
        case .incidents:
            // Resolved long ago, with no notice left (a pending one keeps its incident).
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM incidents WHERE resolved_at IS NOT NULL AND resolved_at < ?
                      AND NOT EXISTS (SELECT 1 FROM notices WHERE notices.incident_id = incidents.id)
                    LIMIT ?
                    """,
                arguments: [finished, batch]
            )
            for id in ids {
                try db.execute(sql: "DELETE FROM incident_robots WHERE incident_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM incident_messages WHERE incident_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM incidents WHERE id = ?", arguments: [id])
            }
            return ids.count
        case .bindingUpdates:
            try db.execute(
                sql: """
                    DELETE FROM binding_updates WHERE id IN (
                        SELECT id FROM binding_updates WHERE status <> 'pending' AND ended_at < ? LIMIT ?
                    )
                    """,
                arguments: [finished, batch]
            )
        case .platformEvents:
            try db.execute(
                sql: """
                    DELETE FROM platform_events WHERE id IN (
                        SELECT id FROM platform_events WHERE status <> 'pending' AND ended_at < ? LIMIT ?
                    )
                    """,
                arguments: [finished, batch]
            )
        case .links:
            try db.execute(
                sql: """
                    DELETE FROM links WHERE token_hash IN (
                        SELECT token_hash FROM links WHERE expires_at < ? OR (used_at IS NOT NULL AND used_at < ?) LIMIT ?
                    )
                    """,
                arguments: [finished, finished, batch]
            )
        case .checkFailures:
            try db.execute(
                sql: "DELETE FROM check_failures WHERE rowid IN (SELECT rowid FROM check_failures WHERE failed_at < ? LIMIT ?)",
                arguments: [finished, batch]
            )
        }
        return db.changesCount
    }

    /// Hands up to `pages` free pages back to the file system. A database made before
    /// incremental vacuum was on has none to hand back until `rebind migrate` switches it.
    public func reclaimSpace() async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA incremental_vacuum(\(Self.vacuumPagesPerPass))")
        }
    }

    static let vacuumPagesPerPass = 4096

    /// Copies the write-ahead log into the database file and empties it (for tests that
    /// measure the file, and before a backup).
    public func checkpoint() async throws {
        try await pool.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Whether the file shrinks as rows go (`auto_vacuum = INCREMENTAL`).
    public func shrinksAsRowsGo() async throws -> Bool {
        try await pool.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 }
    }

    /// Switches a database made before incremental vacuum to it: a `VACUUM`, outside any
    /// transaction, that rewrites the whole file once (it needs as much free disk again, and
    /// holds the database meanwhile). True when it had to.
    public func switchToIncrementalVacuum() async throws -> Bool {
        guard try await !shrinksAsRowsGo() else { return false }
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
        }
        return true
    }
}
