import Foundation
import PostgresNIO
import RebindCore

extension PostgresStore: RetentionStore {
    public func deleteFinished(_ cutoffs: RetentionCutoffs, batch: Int) async throws -> [RetentionTable: Int] {
        let finished = cutoffs.finished.timeIntervalSince1970
        let processed = cutoffs.processedUpdates.timeIntervalSince1970
        var deleted: [RetentionTable: Int] = [:]
        // Rows another replica's pass holds are skipped, not waited for.
        for table in RetentionTable.allCases {
            deleted[table] = try await transaction { connection in
                try await Self.deleteFinished(table, finished: finished, processed: processed, batch: batch, on: connection, logger: self.logger)
            }
        }
        return deleted
    }

    static func deleteFinished(
        _ table: RetentionTable,
        finished: Double,
        processed: Double,
        batch: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        let query: PostgresQuery
        switch table {
        case .events:
            query = """
                DELETE FROM inbox WHERE webhook_id IN (
                    SELECT webhook_id FROM inbox WHERE received_at < \(finished) LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """
        case .updates:
            query = """
                DELETE FROM updates WHERE id IN (
                    SELECT id FROM updates WHERE processed_at IS NOT NULL AND processed_at < \(processed)
                    LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """
        case .notices:
            // Their delivery attempts go with them.
            query = """
                WITH gone AS (
                    SELECT id FROM notices WHERE status IN ('sent', 'dead', 'waiting_for_chat') AND created_at < \(finished)
                    LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ), attempts AS (
                    DELETE FROM notice_attempts WHERE notice_id IN (SELECT id FROM gone)
                )
                DELETE FROM notices WHERE id IN (SELECT id FROM gone) RETURNING 1
                """
        case .incidents:
            // Resolved long ago, with no notice left; their robots and messages go with them.
            query = """
                WITH gone AS (
                    SELECT id FROM incidents WHERE resolved_at IS NOT NULL AND resolved_at < \(finished)
                      AND NOT EXISTS (SELECT 1 FROM notices WHERE notices.incident_id = incidents.id)
                    LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ), robots AS (
                    DELETE FROM incident_robots WHERE incident_id IN (SELECT id FROM gone)
                ), messages AS (
                    DELETE FROM incident_messages WHERE incident_id IN (SELECT id FROM gone)
                )
                DELETE FROM incidents WHERE id IN (SELECT id FROM gone) RETURNING 1
                """
        case .bindingUpdates:
            query = """
                DELETE FROM binding_updates WHERE id IN (
                    SELECT id FROM binding_updates WHERE status <> 'pending' AND ended_at < \(finished)
                    LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """
        case .platformEvents:
            query = """
                DELETE FROM platform_events WHERE id IN (
                    SELECT id FROM platform_events WHERE status <> 'pending' AND ended_at < \(finished)
                    LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """
        case .links:
            query = """
                DELETE FROM links WHERE token_hash IN (
                    SELECT token_hash FROM links WHERE expires_at < \(finished) OR (used_at IS NOT NULL AND used_at < \(finished))
                    LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """
        case .checkFailures:
            query = """
                DELETE FROM check_failures WHERE ctid IN (
                    SELECT ctid FROM check_failures WHERE failed_at < \(finished) LIMIT \(batch) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """
        }
        return try await connection.run(query, logger: logger)
    }

    /// PostgreSQL's autovacuum reuses the space of deleted rows; nothing to do here.
    public func reclaimSpace() async throws {}
}
