import Foundation
import PostgresNIO
import RebindCore

extension PostgresStore: ConsoleStore {
    public func consoleOverview(now: Date, expiringWithin: TimeInterval) async throws -> ConsoleOverview {
        let today = ConsoleOverview.startOfDay(now).timeIntervalSince1970
        let expiring = now.addingTimeInterval(expiringWithin).timeIntervalSince1970
        return try await withConnection { connection in
            // One round trip; each count reads an index.
            try await connection.first(
                """
                SELECT
                    (SELECT count(*) FROM inbox WHERE received_at >= \(today)) AS events_today,
                    (SELECT count(*) FROM incidents WHERE opened_at >= \(today)) AS incidents_today,
                    (SELECT count(*) FROM incidents WHERE resolved_at IS NULL) AS open_incidents,
                    (SELECT count(*) FROM notices WHERE status = 'pending') AS pending_notices,
                    (SELECT min(due_at) FROM notices WHERE status = 'pending') AS oldest_pending,
                    (SELECT count(*) FROM notices WHERE status = 'dead') AS dead_notices,
                    (SELECT count(*) FROM bindings WHERE expires_at IS NOT NULL AND expires_at < \(expiring)) AS expiring
                """,
                logger: self.logger,
                table: "console"
            ) { row in
                ConsoleOverview(
                    eventsToday: try row("events_today", as: Int.self),
                    incidentsOpenedToday: try row("incidents_today", as: Int.self),
                    openIncidents: try row("open_incidents", as: Int.self),
                    pendingNotices: try row("pending_notices", as: Int.self),
                    oldestPendingDueAt: try row.optionalDate("oldest_pending"),
                    deadNotices: try row("dead_notices", as: Int.self),
                    expiringBindings: try row("expiring", as: Int.self)
                )
            } ?? ConsoleOverview()
        }
    }

    public func consoleIncidents(_ filter: ConsoleIncidentFilter, after: ConsoleIncidentCursor?, limit: Int) async throws -> [ConsoleIncident] {
        let state = filter.state?.rawValue
        let afterOpened = after?.openedAt.timeIntervalSince1970
        let afterID = after?.id
        return try await withConnection { connection in
            // Unnamed statements are planned with their values, so each unused filter folds away
            // and the index for the ones given is used.
            try await connection.all(
                """
                SELECT id, user_id, account_id, exchange, cause, robot_count, opened_at, resolved_at, resolution
                FROM incidents
                WHERE (\(filter.userID)::text IS NULL OR user_id = \(filter.userID))
                  AND (\(filter.accountID)::text IS NULL OR account_id = \(filter.accountID))
                  AND (\(state)::text IS NULL OR (\(state) = 'open') = (resolved_at IS NULL))
                  AND (\(afterOpened)::double precision IS NULL OR (opened_at, id) < (\(afterOpened), \(afterID)))
                ORDER BY opened_at DESC, id DESC LIMIT \(limit)
                """,
                logger: self.logger,
                table: "incidents",
                Self.consoleIncident
            )
        }
    }

    static func consoleIncident(_ row: Columns) throws -> ConsoleIncident {
        ConsoleIncident(
            id: try row("id"),
            userID: try row("user_id"),
            accountID: try row("account_id"),
            exchange: try row("exchange"),
            cause: try row("cause"),
            robotCount: try row("robot_count", as: Int.self),
            openedAt: try row.date("opened_at"),
            resolvedAt: try row.optionalDate("resolved_at"),
            resolution: try row("resolution", as: String?.self)
        )
    }

    public func consoleIncident(id: String, eventLimit: Int) async throws -> ConsoleIncidentDetail? {
        try await withConnection { connection in
            let found = try await connection.first(
                """
                SELECT id, user_id, account_id, exchange, cause, robot_count, opened_at, resolved_at, resolution, reason, reminders_sent
                FROM incidents WHERE id = \(id)
                """,
                logger: self.logger,
                table: "incidents"
            ) { row in
                (try Self.consoleIncident(row), try row("reason", as: String.self), try row("reminders_sent", as: Int.self))
            }
            guard let (incident, reason, reminders) = found else { return nil }
            let until = incident.resolvedAt?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude
            let events = try await connection.all(
                """
                SELECT webhook_id, type, robot_id, cause, occurred_at, received_at FROM inbox
                WHERE account_id = \(incident.accountID) AND received_at >= \(incident.openedAt.timeIntervalSince1970)
                  AND received_at <= \(until)
                ORDER BY received_at DESC LIMIT \(eventLimit)
                """,
                logger: self.logger,
                table: "inbox"
            ) { row in
                ConsoleEvent(
                    webhookID: try row("webhook_id"),
                    type: try row("type"),
                    robotID: try row("robot_id", as: String?.self),
                    cause: try row("cause", as: String?.self),
                    occurredAt: try row.date("occurred_at"),
                    receivedAt: try row.date("received_at")
                )
            }
            let attempts = try await connection.all(
                """
                SELECT a.notice_id, a.address, a.at, a.outcome, a.error FROM notice_attempts a
                JOIN notices n ON n.id = a.notice_id WHERE n.incident_id = \(id) ORDER BY a.at, a.id
                """,
                logger: self.logger,
                table: "notice_attempts"
            ) { row -> NoticeAttempt? in
                guard let chat = ChatAddress(storageKey: try row("address")),
                    let outcome = NoticeAttempt.Outcome(rawValue: try row("outcome"))
                else { return nil }
                return NoticeAttempt(
                    noticeID: try row("notice_id", as: Int64.self),
                    chat: chat,
                    at: try row.date("at"),
                    outcome: outcome,
                    error: try row("error", as: String?.self)
                )
            }
            let byNotice = Dictionary(grouping: attempts.compactMap { $0 }, by: \.noticeID)
            let notices = try await connection.all(
                "SELECT id, kind, status, created_at, due_at, last_error FROM notices WHERE incident_id = \(id) ORDER BY id",
                logger: self.logger,
                table: "notices"
            ) { row in
                let noticeID = try row("id", as: Int64.self)
                return ConsoleNotice(
                    id: noticeID,
                    kind: try row("kind"),
                    status: try row("status"),
                    createdAt: try row.date("created_at"),
                    dueAt: try row.date("due_at"),
                    lastError: try row("last_error", as: String?.self),
                    attempts: byNotice[noticeID] ?? []
                )
            }
            var chats = try await connection.all(
                """
                SELECT c.address, c.linked_at, c.blocked_at, v.key_id, v.sealed, v.active_at
                FROM chats c LEFT JOIN conversations v ON v.address = c.address
                WHERE c.user_id = \(incident.userID) AND c.detached_at IS NULL ORDER BY c.address
                """,
                logger: self.logger,
                table: "chats"
            ) { row -> ConsoleChat? in
                guard let chat = ChatAddress(storageKey: try row("address")) else { return nil }
                let keyID = try row("key_id", as: String?.self)
                let sealed = try row("sealed", as: Data?.self)
                return ConsoleChat(
                    chat: chat,
                    linkedAt: try row.date("linked_at"),
                    blockedAt: try row.optionalDate("blocked_at"),
                    conversation: keyID.flatMap { keyID in sealed.map { SealedData(keyID: keyID, data: $0) } },
                    conversationActiveAt: try row.optionalDate("active_at")
                )
            }
            .compactMap { $0 }
            // The chats the platform's events name, unless linked too.
            let named =
                try await connection.first(
                    "SELECT telegram_chat_id, slack_team_id, slack_user_id, updated_at FROM users WHERE id = \(incident.userID)",
                    logger: self.logger,
                    table: "users"
                ) { row in
                    (
                        ConsoleChat.eventChats(
                            telegramChatID: try row("telegram_chat_id", as: Int64?.self),
                            slackTeamID: try row("slack_team_id", as: String?.self),
                            slackUserID: try row("slack_user_id", as: String?.self)
                        ),
                        try row.date("updated_at")
                    )
                }
            for chat in named?.0 ?? [] where !chats.contains(where: { $0.chat == chat }) {
                let conversation = try await connection.first(
                    "SELECT key_id, sealed, active_at FROM conversations WHERE address = \(chat.description)",
                    logger: self.logger,
                    table: "conversations"
                ) { row in
                    (SealedData(keyID: try row("key_id"), data: try row("sealed")), try row.date("active_at"))
                }
                var entry = ConsoleChat(
                    chat: chat,
                    linkedAt: named?.1 ?? incident.openedAt,
                    blockedAt: nil,
                    conversation: conversation?.0,
                    conversationActiveAt: conversation?.1
                )
                entry.linked = false
                chats.append(entry)
            }
            return ConsoleIncidentDetail(
                incident: incident,
                reason: ConsoleIncidentDetail.reasonText(stored: reason),
                remindersSent: reminders,
                events: events,
                notices: notices,
                chats: chats
            )
        }
    }

    public func consoleBindings(after: ConsoleBindingCursor?, limit: Int) async throws -> [ConsoleBinding] {
        let afterExpiry = after?.expiresAt.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude
        let afterAccount = after?.accountID ?? ""
        return try await withConnection { connection in
            try await connection.all(
                """
                SELECT account_id, user_id, exchange, label, COALESCE(checked_key_hint, api_key_hint) AS key_hint, expires_at, expiry_source
                FROM bindings WHERE expires_at IS NOT NULL AND (expires_at, account_id) > (\(afterExpiry), \(afterAccount))
                ORDER BY expires_at, account_id LIMIT \(limit)
                """,
                logger: self.logger,
                table: "bindings"
            ) { row in
                ConsoleBinding(
                    accountID: try row("account_id"),
                    userID: try row("user_id"),
                    exchange: try row("exchange"),
                    label: try row("label", as: String?.self),
                    keyHint: try row("key_hint", as: String?.self),
                    expiresAt: try row.date("expires_at"),
                    expirySource: try row("expiry_source", as: String?.self)
                )
            }
        }
    }

    public func recordNoticeAttempts(_ attempts: [NoticeAttempt]) async throws {
        guard !attempts.isEmpty else { return }
        let notices = attempts.map(\.noticeID)
        let addresses = attempts.map(\.chat.description)
        let times = attempts.map(\.at.timeIntervalSince1970)
        let outcomes = attempts.map(\.outcome.rawValue)
        // Arrays of optionals do not encode: no error travels as "" and is stored as NULL.
        let errors = attempts.map { $0.error ?? "" }
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO notice_attempts (notice_id, address, at, outcome, error)
                SELECT n, a, t, o, NULLIF(e, '')
                FROM unnest(\(notices)::bigint[], \(addresses)::text[], \(times)::double precision[], \(outcomes)::text[], \(errors)::text[])
                    AS attempt (n, a, t, o, e)
                """,
                logger: self.logger
            )
        }
    }
}
