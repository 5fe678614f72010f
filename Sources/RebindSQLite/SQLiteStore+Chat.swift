import Foundation
import GRDB
import RebindCore

extension SQLiteStore: ChatStore, SealedSecretStore {
    // MARK: Linking

    public func createLink(_ link: NewLink, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO links (token_hash, user_id, display_name, webhook_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (webhook_id) DO NOTHING
                    """,
                arguments: [
                    link.tokenHash, link.userID, link.displayName, link.webhookID, now.timeIntervalSince1970,
                    link.expiresAt.timeIntervalSince1970,
                ]
            )
            return db.changesCount == 1
        }
    }

    public func pendingLink(tokenHash: String, now: Date) async throws -> PendingLink? {
        try await pool.read { db in try Self.pendingLink(tokenHash: tokenHash, now: now, in: db) }
    }

    static func pendingLink(tokenHash: String, now: Date, in db: Database) throws -> PendingLink? {
        try Row.fetchOne(
            db,
            sql: "SELECT user_id, display_name FROM links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            arguments: [tokenHash, now.timeIntervalSince1970]
        ).map { PendingLink(userID: $0["user_id"], displayName: $0["display_name"]) }
    }

    public func redeemLink(tokenHash: String, chat: ChatAddress, now: Date) async throws -> RedeemedLink? {
        try await pool.write { db in
            guard let link = try Self.pendingLink(tokenHash: tokenHash, now: now, in: db) else { return nil }
            let previous = try Self.owner(of: chat, in: db).userID
            try db.execute(
                sql: "UPDATE links SET used_at = ?, used_by = ? WHERE token_hash = ?",
                arguments: [now.timeIntervalSince1970, chat.description, tokenHash]
            )
            try Self.link(chat, to: link.userID, displayName: link.displayName, now: now, in: db)
            let moved = previous != nil && previous != link.userID
            // The conversation in the chat was the earlier user's: it does not carry over.
            if moved { try db.execute(sql: "DELETE FROM conversations WHERE address = ?", arguments: [chat.description]) }
            return RedeemedLink(userID: link.userID, displayName: link.displayName, previousUserID: moved ? previous : nil)
        }
    }

    /// Links a chat to a user (a chat belongs to one user) and makes the user's waiting
    /// notices due now.
    static func link(_ chat: ChatAddress, to userID: String, displayName: String, now: Date, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO chats (address, user_id, display_name, linked_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (address) DO UPDATE SET user_id = excluded.user_id, display_name = excluded.display_name,
                    linked_at = excluded.linked_at, blocked_at = NULL, detached_at = NULL
                """,
            arguments: [chat.description, userID, displayName, now.timeIntervalSince1970]
        )
        try db.execute(
            sql: """
                UPDATE notices SET due_at = min(due_at, ?)
                WHERE status = 'waiting_for_chat' AND incident_id IN (SELECT id FROM incidents WHERE user_id = ?)
                """,
            arguments: [now.timeIntervalSince1970, userID]
        )
        try db.execute(
            sql: """
                UPDATE notices SET status = 'pending'
                WHERE status = 'waiting_for_chat' AND incident_id IN (SELECT id FROM incidents WHERE user_id = ?)
                """,
            arguments: [userID]
        )
    }

    public func unlink(_ chat: ChatAddress, now: Date) async throws -> String? {
        try await pool.write { db in
            let previous = try Self.owner(of: chat, in: db).userID
            try db.execute(
                sql: """
                    INSERT INTO chats (address, user_id, linked_at, detached_at) VALUES (?, '', ?, ?)
                    ON CONFLICT (address) DO UPDATE SET user_id = '', display_name = NULL, detached_at = excluded.detached_at
                    """,
                arguments: [chat.description, now.timeIntervalSince1970, now.timeIntervalSince1970]
            )
            try db.execute(sql: "DELETE FROM conversations WHERE address = ?", arguments: [chat.description])
            return previous
        }
    }

    public func owner(of chat: ChatAddress) async throws -> ChatOwner {
        try await pool.read { db in try Self.owner(of: chat, in: db) }
    }

    static func owner(of chat: ChatAddress, in db: Database) throws -> ChatOwner {
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT user_id, display_name, detached_at FROM chats WHERE address = ?"),
            arguments: [chat.description]
        ) {
            let userID: String = row["user_id"]
            if !userID.isEmpty { return .linked(userID: userID, displayName: row["display_name"]) }
            // Unlinked by its user: the platform's naming no longer applies.
            if (row["detached_at"] as Double?) != nil { return .nobody }
            // Otherwise a chat blocked before anyone linked it: its naming still applies.
        }
        let naming = try namingUsers(of: chat, in: db)
        switch naming.count {
        case 0: return .nobody
        case 1: return .named(userID: naming[0])
        default: return .ambiguous
        }
    }

    /// Up to two users whose events name the chat (a Telegram chat id, a Slack team and user).
    static func namingUsers(of chat: ChatAddress, in db: Database) throws -> [String] {
        switch chat.channel {
        case .telegram:
            guard let chatID = Int64(chat.id) else { return [] }
            return try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM users WHERE telegram_chat_id = ? LIMIT 2"),
                arguments: [chatID]
            )
        case .slack:
            let parts = chat.id.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return [] }
            return try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM users WHERE slack_team_id = ? AND slack_user_id = ? LIMIT 2"),
                arguments: [String(parts[0]), String(parts[1])]
            )
        }
    }

    public func chats(ofUser userID: String) async throws -> [ChatAddress] {
        try await pool.read { db in try Self.chats(ofUser: userID, in: db) }
    }

    static func chats(ofUser userID: String, in db: Database) throws -> [ChatAddress] {
        var addresses = try String.fetchAll(
            db.cachedStatement(sql: "SELECT address FROM chats WHERE user_id = ? AND blocked_at IS NULL ORDER BY linked_at"),
            arguments: [userID]
        ).compactMap(ChatAddress.init(storageKey:))
        // The chats the platform named in its events.
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT telegram_chat_id, slack_team_id, slack_user_id FROM users WHERE id = ?"),
                arguments: [userID]
            )
        else { return addresses }
        var named: [ChatAddress] = []
        if let chatID = row["telegram_chat_id"] as Int64? {
            named.append(ChatAddress(channel: .telegram, id: String(chatID)))
        }
        if let team = row["slack_team_id"] as String?, let user = row["slack_user_id"] as String? {
            named.append(ChatAddress(channel: .slack, id: "\(team)/\(user)"))
        }
        // A named chat is this user's only while nobody linked, unlinked or blocked it, and no
        // other user's events name it too.
        let claimed = try db.cachedStatement(
            sql: """
                SELECT EXISTS (SELECT 1 FROM chats WHERE address = ?
                    AND (user_id <> '' OR blocked_at IS NOT NULL OR detached_at IS NOT NULL))
                """
        )
        for address in named where !addresses.contains(address) {
            guard try Bool.fetchOne(claimed, arguments: [address.description]) == false,
                try namingUsers(of: address, in: db).allSatisfy({ $0 == userID })
            else { continue }
            addresses.append(address)
        }
        return addresses
    }

    public func markBlocked(_ chat: ChatAddress, now: Date) async throws {
        try await pool.write { db in
            // A chat nobody linked stays unlinked ('') while blocked: blocking is no link.
            try db.execute(
                sql: """
                    INSERT INTO chats (address, user_id, linked_at, blocked_at) VALUES (?, '', ?, ?)
                    ON CONFLICT (address) DO UPDATE SET blocked_at = excluded.blocked_at
                    """,
                arguments: [chat.description, now.timeIntervalSince1970, now.timeIntervalSince1970]
            )
        }
    }

    public func unblock(_ chat: ChatAddress) async throws {
        // Most chats are not blocked: look first, so an ordinary message costs no write.
        let blocked = try await pool.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM chats WHERE address = ? AND blocked_at IS NOT NULL)"),
                arguments: [chat.description]
            ) ?? false
        }
        guard blocked else { return }
        try await pool.write { db in
            try db.execute(sql: "UPDATE chats SET blocked_at = NULL WHERE address = ?", arguments: [chat.description])
        }
    }

    // MARK: Inbound updates

    public func recordUpdate(channel: Channel, externalID: String, lane: String?, payload: Data, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO updates (channel, external_id, lane, payload, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [channel.rawValue, externalID, lane, payload, now.timeIntervalSince1970]
            )
            return db.changesCount == 1
        }
    }

    public func pendingUpdates(after afterID: Int64, limit: Int) async throws -> [InboundUpdate] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM updates WHERE processed_at IS NULL AND id > ? ORDER BY id LIMIT ?",
                arguments: [afterID, limit]
            ).compactMap(Self.inboundUpdate(from:))
        }
    }

    static func inboundUpdate(from row: Row) -> InboundUpdate? {
        guard let channel = Channel(rawValue: row["channel"]) else { return nil }
        return InboundUpdate(
            id: row["id"],
            channel: channel,
            externalID: row["external_id"],
            payload: row["payload"],
            receivedAt: Date(timeIntervalSince1970: row["received_at"]),
            lane: row["lane"]
        )
    }

    public func claimUpdateLanes(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [String] {
        // Most passes find nothing waiting: look first, so an idle processor does not take
        // the single writer from the events being stored.
        let anyPending = try await pool.read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM updates WHERE processed_at IS NULL)")) ?? false
        }
        guard anyPending else { return [] }
        return try await pool.write { db in
            // Lanes other owners hold are left out before the limit, so a backlog held by one
            // replica does not hide the rest from the others.
            let lanes = try String.fetchAll(
                db,
                sql: """
                    SELECT coalesce(u.lane, 'update:' || u.id) AS lane FROM updates u
                    WHERE u.processed_at IS NULL AND NOT EXISTS (
                        SELECT 1 FROM lane_leases l
                        WHERE l.lane = coalesce(u.lane, 'update:' || u.id) AND l.owner <> ? AND l.lease_until >= ?)
                    GROUP BY 1 ORDER BY min(u.id) LIMIT ?
                    """,
                arguments: [owner, now.timeIntervalSince1970, limit]
            )
            return try lanes.filter { try Self.claimLane($0, owner: owner, now: now, leaseUntil: leaseUntil, in: db) }
        }
    }

    public func claimLane(_ lane: String, owner: String, now: Date, leaseUntil: Date) async throws -> Bool {
        try await pool.write { db in try Self.claimLane(lane, owner: owner, now: now, leaseUntil: leaseUntil, in: db) }
    }

    static func claimLane(_ lane: String, owner: String, now: Date, leaseUntil: Date, in db: Database) throws -> Bool {
        try db.cachedStatement(
            sql: """
                INSERT INTO lane_leases (lane, owner, lease_until) VALUES (?, ?, ?)
                ON CONFLICT (lane) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                WHERE lane_leases.owner = excluded.owner OR lane_leases.lease_until < ?
                """
        ).execute(arguments: [lane, owner, leaseUntil.timeIntervalSince1970, now.timeIntervalSince1970])
        return db.changesCount == 1
    }

    public func renewLanes(_ lanes: [String], owner: String, leaseUntil: Date) async throws {
        guard !lanes.isEmpty else { return }
        try await pool.write { db in
            let renew = try db.cachedStatement(sql: "UPDATE lane_leases SET lease_until = ? WHERE lane = ? AND owner = ?")
            for lane in lanes { try renew.execute(arguments: [leaseUntil.timeIntervalSince1970, lane, owner]) }
        }
    }

    public func pruneLanes(now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM lane_leases WHERE lease_until < ?", arguments: [now.timeIntervalSince1970])
        }
    }

    public func releaseLanes(owner: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM lane_leases WHERE owner = ?", arguments: [owner]) }
    }

    public func pendingUpdates(inLanes lanes: [String], after afterID: Int64, limit: Int) async throws -> [InboundUpdate] {
        guard !lanes.isEmpty else { return [] }
        return try await pool.read { db in
            let marks = Array(repeating: "?", count: lanes.count).joined(separator: ", ")
            var arguments = StatementArguments(lanes)
            arguments += [afterID, limit]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM updates WHERE processed_at IS NULL AND coalesce(lane, 'update:' || id) IN (\(marks)) AND id > ?
                    ORDER BY id LIMIT ?
                    """,
                arguments: arguments
            ).compactMap(Self.inboundUpdate(from:))
        }
    }

    public func completeUpdate(id: Int64) async throws {
        try await pool.write { db in
            // Only the fact that it was processed is kept.
            try db.execute(sql: "UPDATE updates SET processed_at = ?, payload = x'' WHERE id = ?", arguments: [Date().timeIntervalSince1970, id])
        }
    }

    // MARK: Conversations

    public func saveConversation(_ sealed: SealedData, chat: ChatAddress, activeAt: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO conversations (address, key_id, sealed, active_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (address) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, active_at = excluded.active_at
                    """,
                arguments: [chat.description, sealed.keyID, sealed.data, activeAt.timeIntervalSince1970]
            )
        }
    }

    public func conversation(chat: ChatAddress) async throws -> SealedData? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT key_id, sealed FROM conversations WHERE address = ?", arguments: [chat.description]).map {
                SealedData(keyID: $0["key_id"], data: $0["sealed"])
            }
        }
    }

    public func deleteConversation(chat: ChatAddress) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM conversations WHERE address = ?", arguments: [chat.description])
        }
    }

    public func conversationChats(idleSince: Date) async throws -> [ChatAddress] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT address FROM conversations WHERE active_at <= ?", arguments: [idleSince.timeIntervalSince1970])
                .compactMap(ChatAddress.init(storageKey:))
        }
    }

    // MARK: Notices

    public func dueNotices(now: Date, limit: Int) async throws -> [DueNotice] {
        let urgentMaxWait = book.policy.urgentMaxWait
        return try await pool.read { db in try Self.dueNotices(now: now, limit: limit, urgentMaxWait: urgentMaxWait, in: db) }
    }

    /// Due notices in the order they go (DESIGN §10): recovery, then first messages, then
    /// reminders; within each, a notice waiting longer than `urgentMaxWait` first, then the
    /// urgent incidents' (robots leaving positions unmanaged), then the rest, oldest first.
    static func dueNotices(now: Date, limit: Int, urgentMaxWait: TimeInterval, in db: Database) throws -> [DueNotice] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT n.* FROM notices n JOIN incidents i ON i.id = n.incident_id
                    WHERE n.status = 'pending' AND n.due_at <= ?
                    ORDER BY n.priority,
                        CASE WHEN i.urgent = 0 AND n.created_at <= ? THEN 0 WHEN i.urgent = 1 THEN 1 ELSE 2 END,
                        n.due_at, n.id
                    LIMIT ?
                    """
            ),
            arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970 - urgentMaxWait, limit]
        ).map { row in
            let pending = try Self.notice(from: row)
            return DueNotice(
                id: pending.id,
                notice: pending.notice,
                isReminder: (row["kind"] as String) == "reminder",
                attempts: row["attempts"],
                firstAttemptAt: (row["first_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:))
            )
        }
    }

    /// The lease is the notice's `due_at` moved forward, so a claim needs no extra column and
    /// an expired lease is simply a due notice. `kind = 'announce'` keeps its original time in
    /// the `IncidentNotice` it was read as.
    public func claimNotices(now: Date, limit: Int, leaseUntil: Date) async throws -> [DueNotice] {
        // Most passes find nothing: look first, so an idle sender does not write.
        let anyDue = try await pool.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM notices WHERE status = 'pending' AND due_at <= ?)"),
                arguments: [now.timeIntervalSince1970]
            ) ?? false
        }
        guard anyDue else { return [] }
        let urgentMaxWait = book.policy.urgentMaxWait
        return try await pool.write { db in
            let due = try Self.dueNotices(now: now, limit: limit, urgentMaxWait: urgentMaxWait, in: db)
            let lease = try db.cachedStatement(sql: "UPDATE notices SET due_at = ? WHERE id = ?")
            for notice in due {
                try lease.execute(arguments: [leaseUntil.timeIntervalSince1970, notice.id])
            }
            return due
        }
    }

    public func deferNotice(id: Int64, at: Date) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE notices SET due_at = ? WHERE id = ? AND status = 'pending'")
                .execute(arguments: [at.timeIntervalSince1970, id])
        }
    }

    public func completeNotice(id: Int64) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE notices SET status = 'sent' WHERE id = ?").execute(arguments: [id])
        }
    }

    public func completeNotices(_ delivered: [DeliveredNotice]) async throws {
        try await pool.write { db in
            let complete = try db.cachedStatement(sql: "UPDATE notices SET status = 'sent' WHERE id = ?")
            for notice in delivered {
                if let sent = notice.sent {
                    try Self.saveIncidentMessageID(sent.messageID, incidentID: notice.incidentID, chat: sent.chat, in: db)
                }
                try complete.execute(arguments: [notice.id])
            }
        }
    }

    public func deliveryTargets(ofUser userID: String, incidentID: String) async throws -> [DeliveryTarget] {
        try await pool.read { db in try Self.deliveryTargets(ofUser: userID, incidentID: incidentID, in: db) }
    }

    static func deliveryTargets(ofUser userID: String, incidentID: String, in db: Database) throws -> [DeliveryTarget] {
        let messages = try db.cachedStatement(sql: "SELECT message_id FROM incident_messages WHERE incident_id = ? AND address = ?")
        return try chats(ofUser: userID, in: db).map { chat in
            DeliveryTarget(chat: chat, messageID: try String.fetchOne(messages, arguments: [incidentID, chat.description]))
        }
    }

    public func deliveryContexts(incidentIDs: [String], robotLimit: Int) async throws -> [String: DeliveryContext] {
        try await pool.read { db in
            var contexts: [String: DeliveryContext] = [:]
            for id in incidentIDs where contexts[id] == nil {
                guard let incident = try Self.fetchIncidents(sql: Self.incidentByIDSQL, id, in: db).first else { continue }
                contexts[id] = DeliveryContext(
                    incident: incident,
                    robots: try Self.robots(ofIncident: id, limit: robotLimit, in: db),
                    targets: try Self.deliveryTargets(ofUser: incident.userID, incidentID: id, in: db)
                )
            }
            return contexts
        }
    }

    /// Parks a notice until its user links a chat.
    public func parkNotice(id: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE notices SET status = 'waiting_for_chat' WHERE id = ?", arguments: [id])
        }
    }

    public func retryNotice(id: Int64, at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE notices SET due_at = ?, attempts = ?, first_attempt_at = ?, last_error = ? WHERE id = ?",
                arguments: [at.timeIntervalSince1970, attempts, firstAttemptAt.timeIntervalSince1970, error, id]
            )
        }
    }

    public func deadLetterNotice(id: Int64, error: String, channel: Channel?, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE notices SET status = 'dead', last_error = ?, dead_at = ?, dead_channel = ? WHERE id = ?",
                arguments: [error, now.timeIntervalSince1970, channel?.rawValue, id]
            )
        }
    }

    public func deadNotices(limit: Int, beforeID: Int64?) async throws -> [DeadNotice] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, incident_id, kind, attempts, dead_at, dead_channel, last_error FROM notices
                    WHERE status = 'dead' AND id < ? ORDER BY id DESC LIMIT ?
                    """,
                arguments: [beforeID ?? Int64.max, limit]
            ).map { row in
                DeadNotice(
                    id: row["id"],
                    incidentID: row["incident_id"],
                    kind: row["kind"],
                    attempts: row["attempts"],
                    deadAt: (row["dead_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    channel: (row["dead_channel"] as String?).flatMap(Channel.init(rawValue:)),
                    error: row["last_error"]
                )
            }
        }
    }

    public func requeueDeadNotices(_ selection: DeadNoticeSelection, now: Date) async throws -> Int {
        if let ids = selection.ids, ids.isEmpty { return 0 }
        // Each filter is off when its parameter is null; the ids travel as one JSON array.
        let ids = try selection.ids.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let channel = selection.channel?.rawValue
        let since = selection.since?.timeIntervalSince1970
        return try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE notices SET status = 'pending', due_at = ?, attempts = 0, first_attempt_at = NULL,
                        dead_at = NULL, dead_channel = NULL
                    WHERE status = 'dead'
                      AND (? IS NULL OR dead_channel = ?)
                      AND (? IS NULL OR dead_at >= ?)
                      AND (? IS NULL OR id IN (SELECT value FROM json_each(?)))
                    """,
                arguments: [now.timeIntervalSince1970, channel, channel, since, since, ids, ids]
            )
            return db.changesCount
        }
    }

    public func incidentMessageID(incidentID: String, chat: ChatAddress) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(
                db,
                sql: "SELECT message_id FROM incident_messages WHERE incident_id = ? AND address = ?",
                arguments: [incidentID, chat.description]
            )
        }
    }

    public func saveIncidentMessageID(_ messageID: String, incidentID: String, chat: ChatAddress) async throws {
        try await pool.write { db in try Self.saveIncidentMessageID(messageID, incidentID: incidentID, chat: chat, in: db) }
    }

    static func saveIncidentMessageID(_ messageID: String, incidentID: String, chat: ChatAddress, in db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO incident_messages (incident_id, address, message_id) VALUES (?, ?, ?)")
            .execute(arguments: [incidentID, chat.description, messageID])
    }

    public func scheduleReminders(policy: IncidentPolicy, now: Date) async throws -> Int {
        guard policy.maxReminders > 0 else { return 0 }
        // The due test is in SQL so that a pass over many open incidents (an exchange-wide
        // purge leaves tens of thousands) reads only those whose reminder is due, not all.
        let due = """
            resolved_at IS NULL AND reminders_sent < ? AND announce_at + ? * (reminders_sent + 1) <= ?
            AND EXISTS (SELECT 1 FROM incident_messages WHERE incident_id = incidents.id)
            """
        let (limit, interval, nowSeconds) = (policy.maxReminders, policy.repeatInterval, now.timeIntervalSince1970)
        let anyDue = try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM incidents WHERE \(due))", arguments: [limit, interval, nowSeconds]) ?? false
        }
        guard anyDue else { return 0 }
        return try await pool.write { db in
            var scheduled = 0
            for var incident in try Self.fetchIncidents(sql: Self.selectIncidents + due, limit, interval, nowSeconds, in: db) {
                guard let next = policy.nextReminder(for: incident), next <= now else { continue }
                incident.remindersSent += 1
                try Self.save(incident, in: db)
                try db.execute(
                    sql: "INSERT INTO notices (incident_id, kind, due_at, created_at, priority) VALUES (?, 'reminder', ?, ?, 2)",
                    arguments: [incident.id, now.timeIntervalSince1970, now.timeIntervalSince1970]
                )
                scheduled += 1
            }
            return scheduled
        }
    }

    /// One pending reminder per incident: tapping "Remind me later" again moves it, it does not
    /// add another.
    public func scheduleReminder(incidentID: String, at: Date, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE notices SET due_at = ? WHERE incident_id = ? AND kind = 'reminder' AND status = 'pending'",
                arguments: [at.timeIntervalSince1970, incidentID]
            )
            guard db.changesCount == 0 else { return }
            try db.execute(
                sql: "INSERT INTO notices (incident_id, kind, due_at, created_at, priority) VALUES (?, 'reminder', ?, ?, 2)",
                arguments: [incidentID, at.timeIntervalSince1970, now.timeIntervalSince1970]
            )
        }
    }

    public func openIncidents(ofUser userID: String) async throws -> [Incident] {
        try await pool.read { db in
            try Self.fetchIncidents(sql: Self.selectIncidents + "user_id = ? AND resolved_at IS NULL ORDER BY opened_at", userID, in: db)
        }
    }

    public func robots(ofIncident incidentID: String, limit: Int?) async throws -> [Incident.AffectedRobot] {
        try await pool.read { db in try Self.robots(ofIncident: incidentID, limit: limit, in: db) }
    }

    // MARK: Bindings and checks

    public func bindings(ofUser userID: String) async throws -> [Binding] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM bindings WHERE user_id = ? ORDER BY account_id", arguments: [userID]).map(Self.binding(from:))
        }
    }

    static func binding(from row: Row) -> Binding {
        let source = (row["expiry_source"] as String?).flatMap(KeyExpiry.Source.init(rawValue:))
        return Binding(
            accountID: row["account_id"],
            userID: row["user_id"],
            exchange: row["exchange"],
            label: row["label"],
            apiKeyHint: row["api_key_hint"],
            boundAt: (row["bound_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            tradingExpiresAt: (row["trading_expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            expiry: source.map { KeyExpiry(expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)), source: $0) }
        )
    }

    /// A key applied through Rebind: the binding is bound now, its lifetime is what the check
    /// found, and its warnings start afresh.
    public func saveCredentials(
        accountID: String,
        userID: String,
        exchange: String,
        keyHint: String,
        sealed: SealedData,
        verdict: KeyVerdict,
        now: Date
    ) async throws {
        let policy = expiryPolicy
        let lifetime = BindingLifetime.applied(keyHint: keyHint, verdict: verdict, at: now)
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO bindings (account_id, user_id, exchange, api_key_hint, bound_at, updated_at,
                                          credentials_key_id, credentials, trading_expires_at, checked_at,
                                          checked_ip_restricted, checked_key_hint, platform_expires_at, platform_ip_restricted)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)
                    ON CONFLICT (account_id) DO UPDATE SET
                        api_key_hint = excluded.api_key_hint, bound_at = excluded.bound_at, updated_at = excluded.updated_at,
                        credentials_key_id = excluded.credentials_key_id, credentials = excluded.credentials,
                        trading_expires_at = excluded.trading_expires_at, checked_at = excluded.checked_at,
                        checked_ip_restricted = excluded.checked_ip_restricted, checked_key_hint = excluded.checked_key_hint,
                        platform_expires_at = NULL, platform_ip_restricted = NULL
                    """,
                arguments: [
                    accountID, userID, exchange, keyHint, now.timeIntervalSince1970, now.timeIntervalSince1970,
                    sealed.keyID, sealed.data, lifetime.checkedExpiresAt?.timeIntervalSince1970, now.timeIntervalSince1970,
                    lifetime.checkedIPRestricted, lifetime.checkedKeyHint,
                ]
            )
            if let uid = verdict.exchangeUID {
                try Self.saveExchangeUID(uid, accountID: accountID, source: .exchange, at: now, in: db)
            }
            try Self.replanExpiry(accountID: accountID, policy: policy, now: now, in: db)
        }
    }

    public func exchangeUID(accountID: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT exchange_uid FROM exchange_uids WHERE account_id = ?", arguments: [accountID])
        }
    }

    /// Re-seals every stored secret (credentials, binding updates on their way, Slack bot tokens, conversations) in one
    /// transaction, for `rebind keys rotate`. `reseal` gets each value with the context it is
    /// bound to. Returns how many were re-sealed.
    public func rotateSecrets(_ reseal: @escaping @Sendable (SealedData, SealContext) throws -> SealedData) async throws -> Int {
        try await pool.write { db in
            // Updates not yet processed hold sealed payloads too; processed ones hold nothing.
            let waiting = try Int.fetchOne(db, sql: "SELECT count(*) FROM updates WHERE processed_at IS NULL") ?? 0
            if waiting > 0 {
                throw Error.updatesWaiting(count: waiting)
            }
            var count = 0
            for row in try Row.fetchAll(db, sql: "SELECT account_id, credentials_key_id, credentials FROM bindings WHERE credentials IS NOT NULL") {
                let accountID: String = row["account_id"]
                let sealed = try reseal(SealedData(keyID: row["credentials_key_id"], data: row["credentials"]), .binding(accountID: accountID))
                try db.execute(
                    sql: "UPDATE bindings SET credentials_key_id = ?, credentials = ? WHERE account_id = ?",
                    arguments: [sealed.keyID, sealed.data, accountID]
                )
                count += 1
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, key_id, sealed FROM binding_updates WHERE status = 'pending'") {
                let id: String = row["id"]
                let sealed = try reseal(SealedData(keyID: row["key_id"], data: row["sealed"]), .bindingUpdate(id: id))
                try db.execute(sql: "UPDATE binding_updates SET key_id = ?, sealed = ? WHERE id = ?", arguments: [sealed.keyID, sealed.data, id])
                count += 1
            }
            for row in try Row.fetchAll(db, sql: "SELECT team_id, key_id, sealed FROM slack_installations") {
                let teamID: String = row["team_id"]
                let sealed = try reseal(SealedData(keyID: row["key_id"], data: row["sealed"]), SlackInstallation.context(teamID: teamID))
                try db.execute(
                    sql: "UPDATE slack_installations SET key_id = ?, sealed = ? WHERE team_id = ?",
                    arguments: [sealed.keyID, sealed.data, teamID]
                )
                count += 1
            }
            for row in try Row.fetchAll(db, sql: "SELECT address, key_id, sealed FROM conversations") {
                let address: String = row["address"]
                guard let chat = ChatAddress(storageKey: address) else {
                    throw Error.corruptRow(table: "conversations", detail: "address \(address) names no chat")
                }
                let sealed = try reseal(SealedData(keyID: row["key_id"], data: row["sealed"]), .conversation(chat))
                try db.execute(
                    sql: "UPDATE conversations SET key_id = ?, sealed = ? WHERE address = ?",
                    arguments: [sealed.keyID, sealed.data, address]
                )
                count += 1
            }
            return count
        }
    }

    /// Every stored credential, sealed.
    public func sealedCredentials() async throws -> [(accountID: String, sealed: SealedData)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT account_id, credentials_key_id, credentials FROM bindings WHERE credentials IS NOT NULL").map {
                (accountID: $0["account_id"], sealed: SealedData(keyID: $0["credentials_key_id"], data: $0["credentials"]))
            }
        }
    }

    public func recordFailedCheck(accountID: String, now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO check_failures (account_id, failed_at) VALUES (?, ?)",
                arguments: [accountID, now.timeIntervalSince1970]
            )
            try db.execute(
                sql: "DELETE FROM check_failures WHERE account_id = ? AND failed_at < ?",
                arguments: [accountID, now.timeIntervalSince1970 - 86400]
            )
        }
    }

    public func failedChecks(accountID: String, since: Date) async throws -> [Date] {
        try await pool.read { db in
            try Double.fetchAll(
                db,
                sql: "SELECT failed_at FROM check_failures WHERE account_id = ? AND failed_at >= ? ORDER BY failed_at",
                arguments: [accountID, since.timeIntervalSince1970]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }
}
