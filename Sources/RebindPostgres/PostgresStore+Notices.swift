import Foundation
import Logging
import PostgresNIO
import RebindCore

extension PostgresStore {
    public func dueNotices(now: Date, limit: Int) async throws -> [DueNotice] {
        let overdue = now.timeIntervalSince1970 - configuration.incidentPolicy.urgentMaxWait
        return try await withConnection { connection in
            try await connection.all(
                """
                SELECT n.* FROM notices n JOIN incidents i ON i.id = n.incident_id
                WHERE n.status = 'pending' AND n.due_at <= \(now.timeIntervalSince1970)
                ORDER BY n.priority, CASE WHEN NOT i.urgent AND n.created_at <= \(overdue) THEN 0 WHEN i.urgent THEN 1 ELSE 2 END,
                    n.due_at, n.id
                LIMIT \(limit)
                """,
                logger: self.logger,
                table: "notices",
                Self.dueNotice(from:)
            )
        }
    }

    /// As in the SQLite store, the lease is the notice's `due_at` moved forward: an expired
    /// lease is simply a due notice, taken over by whichever replica claims next. Rows that
    /// another replica is claiming at this moment are skipped (`SKIP LOCKED`), and a row it
    /// claimed just before is re-checked against its new `due_at`, so no notice is claimed
    /// twice. One statement, so the claim commits as it returns.
    ///
    /// The order is the SQLite store's: recovery, first messages, reminders; within each, a
    /// notice waiting longer than the urgent wait, then urgent incidents', then the rest.
    public func claimNotices(now: Date, limit: Int, leaseUntil: Date) async throws -> [DueNotice] {
        let overdue = now.timeIntervalSince1970 - configuration.incidentPolicy.urgentMaxWait
        return try await withConnection { connection in
            try await connection.all(
                """
                WITH due AS (
                    SELECT n.id, n.due_at AS claimed_due_at,
                        CASE WHEN NOT i.urgent AND n.created_at <= \(overdue) THEN 0 WHEN i.urgent THEN 1 ELSE 2 END AS rank
                    FROM notices n JOIN incidents i ON i.id = n.incident_id
                    WHERE n.status = 'pending' AND n.due_at <= \(now.timeIntervalSince1970)
                      -- An edit waits for its incident's first message: another replica may be
                      -- sending it right now, and an edit that finds no message is dropped.
                      AND NOT (n.kind IN ('update', 'resolve') AND EXISTS (
                          SELECT 1 FROM notices a
                          WHERE a.incident_id = n.incident_id AND a.kind = 'announce' AND a.status = 'pending' AND a.id < n.id))
                    ORDER BY n.priority, rank, n.due_at, n.id LIMIT \(limit)
                    FOR UPDATE OF n SKIP LOCKED
                )
                UPDATE notices SET due_at = \(leaseUntil.timeIntervalSince1970) FROM due WHERE notices.id = due.id
                RETURNING notices.id, notices.incident_id, notices.kind, due.claimed_due_at AS due_at, notices.attempts,
                          notices.first_attempt_at, notices.priority, due.rank
                """,
                logger: self.logger,
                table: "notices"
            ) { row in
                (
                    notice: try Self.dueNotice(from: row), priority: try row("priority", as: Int.self), rank: try row("rank", as: Int.self),
                    dueAt: try row.date("due_at")
                )
            }
            .sorted { ($0.priority, $0.rank, $0.dueAt, $0.notice.id) < ($1.priority, $1.rank, $1.dueAt, $1.notice.id) }
            .map(\.notice)
        }
    }

    public func deferNotice(id: Int64, at: Date) async throws {
        try await withConnection { connection in
            try await connection.run(
                "UPDATE notices SET due_at = \(at.timeIntervalSince1970) WHERE id = \(id) AND status = 'pending'",
                logger: self.logger
            )
        }
    }

    public func completeNotice(id: Int64) async throws {
        try await withConnection { connection in
            try await connection.run("UPDATE notices SET status = 'sent' WHERE id = \(id)", logger: self.logger)
        }
    }

    /// One transaction of two statements however many notices: the sender commits many at once.
    public func completeNotices(_ delivered: [DeliveredNotice]) async throws {
        guard !delivered.isEmpty else { return }
        let sent = delivered.compactMap { notice in
            notice.sent.map { (incidentID: notice.incidentID, chat: $0.chat.description, messageID: $0.messageID) }
        }
        let ids = delivered.map(\.id)
        try await transaction { connection in
            if !sent.isEmpty {
                try await connection.run(
                    """
                    INSERT INTO incident_messages (incident_id, address, message_id)
                    SELECT * FROM unnest(\(sent.map(\.incidentID)), \(sent.map(\.chat)), \(sent.map(\.messageID)))
                        AS sent (incident_id, address, message_id)
                    ON CONFLICT (incident_id, address) DO UPDATE SET message_id = excluded.message_id
                    """,
                    logger: self.logger
                )
            }
            try await connection.run("UPDATE notices SET status = 'sent' WHERE id = ANY(\(ids))", logger: self.logger)
        }
    }

    public func deliveryTargets(ofUser userID: String, incidentID: String) async throws -> [DeliveryTarget] {
        try await withConnection { connection in
            try await Self.deliveryTargets(ofUser: userID, incidentID: incidentID, on: connection, logger: self.logger)
        }
    }

    static func deliveryTargets(
        ofUser userID: String,
        incidentID: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [DeliveryTarget] {
        var targets: [DeliveryTarget] = []
        for chat in try await chats(ofUser: userID, on: connection, logger: logger) {
            targets.append(
                DeliveryTarget(chat: chat, messageID: try await incidentMessageID(incidentID: incidentID, chat: chat, on: connection, logger: logger))
            )
        }
        return targets
    }

    public func deliveryContexts(incidentIDs: [String], robotLimit: Int) async throws -> [String: DeliveryContext] {
        try await transaction { connection in
            var contexts: [String: DeliveryContext] = [:]
            for id in incidentIDs where contexts[id] == nil {
                guard
                    let incident = try await connection.first(
                        "SELECT * FROM incidents WHERE id = \(id)",
                        logger: self.logger,
                        table: "incidents",
                        Self.incident(from:)
                    )
                else { continue }
                contexts[id] = DeliveryContext(
                    incident: incident,
                    robots: try await Self.robots(ofIncident: id, limit: robotLimit, on: connection, logger: self.logger),
                    targets: try await Self.deliveryTargets(ofUser: incident.userID, incidentID: id, on: connection, logger: self.logger)
                )
            }
            return contexts
        }
    }

    public func parkNotice(id: Int64) async throws {
        try await withConnection { connection in
            try await connection.run("UPDATE notices SET status = 'waiting_for_chat' WHERE id = \(id)", logger: self.logger)
        }
    }

    public func retryNotice(id: Int64, at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE notices SET due_at = \(at.timeIntervalSince1970), attempts = \(attempts),
                    first_attempt_at = \(firstAttemptAt.timeIntervalSince1970), last_error = \(error)
                WHERE id = \(id)
                """,
                logger: self.logger
            )
        }
    }

    public func deadLetterNotice(id: Int64, error: String, channel: RebindCore.Channel?, now: Date) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE notices SET status = 'dead', last_error = \(error), dead_at = \(now.timeIntervalSince1970),
                    dead_channel = \(channel?.rawValue)
                WHERE id = \(id)
                """,
                logger: self.logger
            )
        }
    }

    public func deadNotices(limit: Int, beforeID: Int64?) async throws -> [DeadNotice] {
        try await withConnection { connection in
            try await connection.all(
                """
                SELECT id, incident_id, kind, attempts, dead_at, dead_channel, last_error FROM notices
                WHERE status = 'dead' AND id < \(beforeID ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
                """,
                logger: self.logger,
                table: "notices"
            ) { row in
                DeadNotice(
                    id: try row("id"),
                    incidentID: try row("incident_id"),
                    kind: try row("kind"),
                    attempts: try row("attempts", as: Int.self),
                    deadAt: try row.optionalDate("dead_at"),
                    channel: try row("dead_channel", as: String?.self).flatMap(RebindCore.Channel.init(rawValue:)),
                    error: try row("last_error", as: String?.self)
                )
            }
        }
    }

    public func requeueDeadNotices(_ selection: DeadNoticeSelection, now: Date) async throws -> Int {
        if let ids = selection.ids, ids.isEmpty { return 0 }
        // Each filter is off when its parameter is null.
        return try await withConnection { connection in
            try await connection.all(
                """
                UPDATE notices SET status = 'pending', due_at = \(now.timeIntervalSince1970), attempts = 0,
                    first_attempt_at = NULL, dead_at = NULL, dead_channel = NULL
                WHERE status = 'dead'
                  AND (\(selection.channel?.rawValue)::text IS NULL OR dead_channel = \(selection.channel?.rawValue))
                  AND (\(selection.since?.timeIntervalSince1970)::double precision IS NULL OR dead_at >= \(selection.since?.timeIntervalSince1970))
                  AND (\(selection.ids == nil) OR id = ANY(\(selection.ids ?? [])))
                RETURNING id
                """,
                logger: self.logger,
                table: "notices"
            ) { try $0("id", as: Int64.self) }.count
        }
    }

    public func incidentMessageID(incidentID: String, chat: ChatAddress) async throws -> String? {
        try await withConnection { connection in
            try await Self.incidentMessageID(incidentID: incidentID, chat: chat, on: connection, logger: self.logger)
        }
    }

    static func incidentMessageID(incidentID: String, chat: ChatAddress, on connection: PostgresConnection, logger: Logger) async throws -> String? {
        try await connection.first(
            "SELECT message_id FROM incident_messages WHERE incident_id = \(incidentID) AND address = \(chat.description)",
            logger: logger,
            table: "incident_messages",
            { try $0("message_id", as: String.self) }
        )
    }

    public func saveIncidentMessageID(_ messageID: String, incidentID: String, chat: ChatAddress) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO incident_messages (incident_id, address, message_id) VALUES (\(incidentID), \(chat.description), \(messageID))
                ON CONFLICT (incident_id, address) DO UPDATE SET message_id = excluded.message_id
                """,
                logger: self.logger
            )
        }
    }

    /// The due incidents are locked as they are read (`FOR UPDATE SKIP LOCKED`), so replicas
    /// passing at the same moment queue each reminder once: a row another pass holds is
    /// skipped, and one it just updated no longer matches.
    public func scheduleReminders(policy: IncidentPolicy, now: Date) async throws -> Int {
        guard policy.maxReminders > 0 else { return 0 }
        return try await transaction { connection in
            let due = try await connection.all(
                """
                SELECT * FROM incidents
                WHERE resolved_at IS NULL AND reminders_sent < \(policy.maxReminders)
                AND announce_at + \(policy.repeatInterval) * (reminders_sent + 1) <= \(now.timeIntervalSince1970)
                AND EXISTS (SELECT 1 FROM incident_messages WHERE incident_id = incidents.id)
                FOR UPDATE SKIP LOCKED
                """,
                logger: self.logger,
                table: "incidents",
                Self.incident(from:)
            )
            var reminded: [Incident] = []
            for var incident in due {
                guard let next = policy.nextReminder(for: incident), next <= now else { continue }
                incident.remindersSent += 1
                reminded.append(incident)
            }
            // The incidents' new counts and their reminders, in one statement.
            let reminders = reminded.map { NoticeRow(incidentID: $0.id, kind: "reminder", dueAt: now, createdAt: now, priority: 2) }
            try await Self.write(incidents: reminded, robots: [], notices: reminders, on: connection, logger: self.logger)
            return reminded.count
        }
    }

    /// One pending reminder per incident: tapping "Remind me later" again moves it, it does not
    /// add another. The incident's row is locked meanwhile, so two taps at once (two chats, two
    /// replicas) still leave one.
    public func scheduleReminder(incidentID: String, at: Date, now: Date) async throws {
        try await transaction { connection in
            try await connection.run("SELECT 1 FROM incidents WHERE id = \(incidentID) FOR UPDATE", logger: self.logger)
            let moved = try await connection.run(
                """
                UPDATE notices SET due_at = \(at.timeIntervalSince1970)
                WHERE incident_id = \(incidentID) AND kind = 'reminder' AND status = 'pending' RETURNING 1
                """,
                logger: self.logger
            )
            guard moved == 0 else { return }
            try await Self.insertNotice(
                incidentID: incidentID,
                kind: "reminder",
                dueAt: at,
                now: now,
                priority: 2,
                on: connection,
                logger: self.logger
            )
        }
    }
}
