import Foundation
import GRDB
import RebindCore

extension SQLiteStore {
    public func queueBindingUpdate(_ update: QueuedBindingUpdate, conversation: SealedData, activeAt: Date, now: Date) async throws {
        try await pool.write { db in
            try Self.insertBindingUpdate(update, now: now, in: db)
            try db.execute(
                sql: """
                    INSERT INTO conversations (address, key_id, sealed, active_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (address) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, active_at = excluded.active_at
                    """,
                arguments: [update.chat.description, conversation.keyID, conversation.data, activeAt.timeIntervalSince1970]
            )
        }
    }

    /// A second update with the same id is ignored.
    static func insertBindingUpdate(_ update: QueuedBindingUpdate, now: Date, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO binding_updates (id, address, account_id, key_id, sealed, due_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                """,
            arguments: [
                update.id, update.chat.description, update.accountID, update.sealed.keyID, update.sealed.data,
                now.timeIntervalSince1970, now.timeIntervalSince1970,
            ]
        )
    }

    public func queueBindingUpdate(_ update: QueuedBindingUpdate, telling input: LaneInput, now: Date) async throws {
        try await pool.write { db in
            try Self.insertBindingUpdate(update, now: now, in: db)
            try db.execute(
                sql: "INSERT INTO updates (channel, external_id, lane, payload, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [input.channel.rawValue, input.externalID, input.lane, input.payload, now.timeIntervalSince1970]
            )
        }
    }

    /// Like notices, the lease is `due_at` moved forward: an expired lease is a due update.
    public func claimBindingUpdates(now: Date, limit: Int, leaseUntil: Date) async throws -> [QueuedBindingUpdate] {
        let anyDue = try await pool.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM binding_updates WHERE status = 'pending' AND due_at <= ?)"),
                arguments: [now.timeIntervalSince1970]
            ) ?? false
        }
        guard anyDue else { return [] }
        return try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, address, account_id, key_id, sealed, attempts, first_attempt_at FROM binding_updates
                    WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, created_at LIMIT ?
                    """,
                arguments: [now.timeIntervalSince1970, limit]
            )
            var claimed: [QueuedBindingUpdate] = []
            for row in rows {
                guard let chat = ChatAddress(storageKey: row["address"]) else { continue }
                try db.execute(
                    sql: "UPDATE binding_updates SET due_at = ? WHERE id = ?",
                    arguments: [leaseUntil.timeIntervalSince1970, row["id"] as String]
                )
                claimed.append(
                    QueuedBindingUpdate(
                        id: row["id"],
                        chat: chat,
                        accountID: row["account_id"],
                        sealed: SealedData(keyID: row["key_id"], data: row["sealed"]),
                        attempts: row["attempts"],
                        firstAttemptAt: (row["first_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:))
                    )
                )
            }
            return claimed
        }
    }

    public func retryBindingUpdate(id: String, at: Date, attempts: Int, firstAttemptAt: Date, error: String?) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE binding_updates SET due_at = ?, attempts = ?, first_attempt_at = ?, last_error = coalesce(?, last_error)
                    WHERE id = ? AND status = 'pending'
                    """,
                arguments: [at.timeIntervalSince1970, attempts, firstAttemptAt.timeIntervalSince1970, error, id]
            )
        }
    }

    public func endBindingUpdate(id: String, as end: BindingUpdateEnd, error: String?, now: Date) async throws {
        try await pool.write { db in
            // The credentials are not needed any more: what the platform took it keeps, and
            // Rebind keeps its own copy sealed in `bindings`.
            try db.execute(
                sql: "UPDATE binding_updates SET status = ?, last_error = ?, ended_at = ?, sealed = x'' WHERE id = ?",
                arguments: [end.rawValue, error, now.timeIntervalSince1970, id]
            )
        }
    }

    public func hasPendingBindingUpdate(chat: ChatAddress) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM binding_updates WHERE address = ? AND status = 'pending')",
                arguments: [chat.description]
            ) ?? false
        }
    }
}
