import Foundation
import GRDB
import RebindCore

extension SQLiteStore: ConsoleStore {
    public func consoleOverview(now: Date, expiringWithin: TimeInterval) async throws -> ConsoleOverview {
        let today = ConsoleOverview.startOfDay(now).timeIntervalSince1970
        return try await pool.read { db in
            // Each count reads an index (inbox_received, incidents_opened, notices_pending,
            // notices_dead, bindings_expires).
            func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
                try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0
            }
            return ConsoleOverview(
                eventsToday: try count("SELECT COUNT(*) FROM inbox WHERE received_at >= ?", [today]),
                incidentsOpenedToday: try count("SELECT COUNT(*) FROM incidents WHERE opened_at >= ?", [today]),
                openIncidents: try count("SELECT COUNT(*) FROM incidents WHERE resolved_at IS NULL"),
                pendingNotices: try count("SELECT COUNT(*) FROM notices WHERE status = 'pending'"),
                oldestPendingDueAt: try Double.fetchOne(db, sql: "SELECT MIN(due_at) FROM notices WHERE status = 'pending'")
                    .map(Date.init(timeIntervalSince1970:)),
                deadNotices: try count("SELECT COUNT(*) FROM notices WHERE status = 'dead'"),
                expiringBindings: try count(
                    "SELECT COUNT(*) FROM bindings WHERE expires_at IS NOT NULL AND expires_at < ?",
                    [now.addingTimeInterval(expiringWithin).timeIntervalSince1970]
                )
            )
        }
    }

    public func consoleIncidents(_ filter: ConsoleIncidentFilter, after: ConsoleIncidentCursor?, limit: Int) async throws -> [ConsoleIncident] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let user = filter.userID {
            conditions.append("user_id = ?")
            arguments += [user]
        }
        if let account = filter.accountID {
            conditions.append("account_id = ?")
            arguments += [account]
        }
        switch filter.state {
        case .open?: conditions.append("resolved_at IS NULL")
        case .resolved?: conditions.append("resolved_at IS NOT NULL")
        case nil: break
        }
        if let after {
            // A row value: the index on (…, opened_at, id) seeks straight to the page.
            conditions.append("(opened_at, id) < (?, ?)")
            arguments += [after.openedAt.timeIntervalSince1970, after.id]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [limit]
        let sql = """
            SELECT id, user_id, account_id, exchange, cause, robot_count, opened_at, resolved_at, resolution
            FROM incidents \(whereClause) ORDER BY opened_at DESC, id DESC LIMIT ?
            """
        let bound = arguments
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.consoleIncident)
        }
    }

    static func consoleIncident(_ row: Row) -> ConsoleIncident {
        ConsoleIncident(
            id: row["id"],
            userID: row["user_id"],
            accountID: row["account_id"],
            exchange: row["exchange"],
            cause: row["cause"],
            robotCount: row["robot_count"],
            openedAt: Date(timeIntervalSince1970: row["opened_at"]),
            resolvedAt: (row["resolved_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            resolution: row["resolution"]
        )
    }

    public func consoleIncident(id: String, eventLimit: Int) async throws -> ConsoleIncidentDetail? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT id, user_id, account_id, exchange, cause, robot_count, opened_at, resolved_at, resolution,
                               reason, reminders_sent
                        FROM incidents WHERE id = ?
                        """,
                    arguments: [id]
                )
            else { return nil }
            let incident = Self.consoleIncident(row)
            // The account's events while the incident was open (the one that resolved it included).
            let events = try Row.fetchAll(
                db,
                sql: """
                    SELECT webhook_id, type, robot_id, cause, occurred_at, received_at FROM inbox
                    WHERE account_id = ? AND received_at >= ? AND received_at <= ?
                    ORDER BY received_at DESC LIMIT ?
                    """,
                arguments: [
                    incident.accountID, incident.openedAt.timeIntervalSince1970,
                    incident.resolvedAt?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude, eventLimit,
                ]
            ).map { row in
                ConsoleEvent(
                    webhookID: row["webhook_id"],
                    type: row["type"],
                    robotID: row["robot_id"],
                    cause: row["cause"],
                    occurredAt: Date(timeIntervalSince1970: row["occurred_at"]),
                    receivedAt: Date(timeIntervalSince1970: row["received_at"])
                )
            }
            let attempts = Dictionary(
                grouping: try Row.fetchAll(
                    db,
                    sql: """
                        SELECT a.notice_id, a.address, a.at, a.outcome, a.error FROM notice_attempts a
                        JOIN notices n ON n.id = a.notice_id WHERE n.incident_id = ? ORDER BY a.at, a.rowid
                        """,
                    arguments: [id]
                ).compactMap(Self.noticeAttempt),
                by: \.noticeID
            )
            let notices = try Row.fetchAll(
                db,
                sql: "SELECT id, kind, status, created_at, due_at, last_error FROM notices WHERE incident_id = ? ORDER BY id",
                arguments: [id]
            ).map { row in
                ConsoleNotice(
                    id: row["id"],
                    kind: row["kind"],
                    status: row["status"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    dueAt: Date(timeIntervalSince1970: row["due_at"]),
                    lastError: row["last_error"],
                    attempts: attempts[row["id"]] ?? []
                )
            }
            var chats = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.address, c.linked_at, c.blocked_at, v.key_id, v.sealed, v.active_at
                    FROM chats c LEFT JOIN conversations v ON v.address = c.address
                    WHERE c.user_id = ? AND c.detached_at IS NULL ORDER BY c.address
                    """,
                arguments: [incident.userID]
            ).compactMap { row -> ConsoleChat? in
                guard let chat = ChatAddress(storageKey: row["address"]) else { return nil }
                let keyID: String? = row["key_id"]
                return ConsoleChat(
                    chat: chat,
                    linkedAt: Date(timeIntervalSince1970: row["linked_at"]),
                    blockedAt: (row["blocked_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    conversation: keyID.map { SealedData(keyID: $0, data: row["sealed"]) },
                    conversationActiveAt: (row["active_at"] as Double?).map(Date.init(timeIntervalSince1970:))
                )
            }
            // The chats the platform's events name, unless linked too.
            if let user = try Row.fetchOne(
                db,
                sql: "SELECT telegram_chat_id, slack_team_id, slack_user_id, updated_at FROM users WHERE id = ?",
                arguments: [incident.userID]
            ) {
                let named = ConsoleChat.eventChats(
                    telegramChatID: user["telegram_chat_id"],
                    slackTeamID: user["slack_team_id"],
                    slackUserID: user["slack_user_id"]
                )
                for chat in named where !chats.contains(where: { $0.chat == chat }) {
                    let conversation = try Row.fetchOne(
                        db,
                        sql: "SELECT key_id, sealed, active_at FROM conversations WHERE address = ?",
                        arguments: [chat.description]
                    )
                    var entry = ConsoleChat(
                        chat: chat,
                        linkedAt: Date(timeIntervalSince1970: user["updated_at"]),
                        blockedAt: nil,
                        conversation: conversation.map { SealedData(keyID: $0["key_id"], data: $0["sealed"]) },
                        conversationActiveAt: conversation.map { Date(timeIntervalSince1970: $0["active_at"]) }
                    )
                    entry.linked = false
                    chats.append(entry)
                }
            }
            return ConsoleIncidentDetail(
                incident: incident,
                reason: ConsoleIncidentDetail.reasonText(stored: row["reason"]),
                remindersSent: row["reminders_sent"],
                events: events,
                notices: notices,
                chats: chats
            )
        }
    }

    static func noticeAttempt(_ row: Row) -> NoticeAttempt? {
        guard let chat = ChatAddress(storageKey: row["address"]), let outcome = NoticeAttempt.Outcome(rawValue: row["outcome"]) else {
            return nil
        }
        return NoticeAttempt(
            noticeID: row["notice_id"],
            chat: chat,
            at: Date(timeIntervalSince1970: row["at"]),
            outcome: outcome,
            error: row["error"]
        )
    }

    public func consoleBindings(after: ConsoleBindingCursor?, limit: Int) async throws -> [ConsoleBinding] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT account_id, user_id, exchange, label, COALESCE(checked_key_hint, api_key_hint) AS key_hint,
                           expires_at, expiry_source
                    FROM bindings WHERE expires_at IS NOT NULL AND (expires_at, account_id) > (?, ?)
                    ORDER BY expires_at, account_id LIMIT ?
                    """,
                arguments: [after?.expiresAt.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude, after?.accountID ?? "", limit]
            ).map { row in
                ConsoleBinding(
                    accountID: row["account_id"],
                    userID: row["user_id"],
                    exchange: row["exchange"],
                    label: row["label"],
                    keyHint: row["key_hint"],
                    expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
                    expirySource: row["expiry_source"]
                )
            }
        }
    }

    public func recordNoticeAttempts(_ attempts: [NoticeAttempt]) async throws {
        guard !attempts.isEmpty else { return }
        try await pool.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO notice_attempts (notice_id, address, at, outcome, error) VALUES (?, ?, ?, ?, ?)")
            for attempt in attempts {
                try insert.execute(arguments: [
                    attempt.noticeID, attempt.chat.description, attempt.at.timeIntervalSince1970, attempt.outcome.rawValue, attempt.error,
                ])
            }
        }
    }
}
