import Foundation
import Logging
import PostgresNIO
import RebindCore

extension PostgresStore {
    // MARK: Linking

    public func createLink(_ link: NewLink, now: Date) async throws -> Bool {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO links (token_hash, user_id, display_name, webhook_id, created_at, expires_at)
                VALUES (\(link.tokenHash), \(link.userID), \(link.displayName), \(link.webhookID), \(now.timeIntervalSince1970),
                    \(link.expiresAt.timeIntervalSince1970))
                ON CONFLICT (webhook_id) DO NOTHING RETURNING 1
                """,
                logger: self.logger
            ) == 1
        }
    }

    public func pendingLink(tokenHash: String, now: Date) async throws -> PendingLink? {
        try await withConnection { connection in
            try await connection.first(
                """
                SELECT user_id, display_name FROM links
                WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now.timeIntervalSince1970)
                """,
                logger: self.logger,
                table: "links",
                { PendingLink(userID: try $0("user_id", as: String.self), displayName: try $0("display_name", as: String.self)) }
            )
        }
    }

    public func redeemLink(tokenHash: String, chat: ChatAddress, now: Date) async throws -> RedeemedLink? {
        try await transaction { connection in
            let logger = self.logger
            // Using the token in the statement that checks it: two replicas cannot both redeem it.
            guard
                let link = try await connection.first(
                    """
                    UPDATE links SET used_at = \(now.timeIntervalSince1970), used_by = \(chat.description)
                    WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now.timeIntervalSince1970)
                    RETURNING user_id, display_name
                    """,
                    logger: logger,
                    table: "links",
                    { PendingLink(userID: try $0("user_id", as: String.self), displayName: try $0("display_name", as: String.self)) }
                )
            else { return nil }
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext('rebind.chat.' || \(chat.description)))", logger: logger)
            let previous = try await Self.owner(of: chat, on: connection, logger: logger).userID
            try await Self.link(chat, to: link.userID, displayName: link.displayName, now: now, on: connection, logger: logger)
            let moved = previous != nil && previous != link.userID
            // The conversation in the chat was the earlier user's: it does not carry over.
            if moved { try await connection.run("DELETE FROM conversations WHERE address = \(chat.description)", logger: logger) }
            return RedeemedLink(userID: link.userID, displayName: link.displayName, previousUserID: moved ? previous : nil)
        }
    }

    /// Links a chat to a user (a chat belongs to one user) and makes the user's waiting
    /// notices due now.
    static func link(
        _ chat: ChatAddress,
        to userID: String,
        displayName: String,
        now: Date,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO chats (address, user_id, display_name, linked_at)
            VALUES (\(chat.description), \(userID), \(displayName), \(now.timeIntervalSince1970))
            ON CONFLICT (address) DO UPDATE SET user_id = excluded.user_id, display_name = excluded.display_name,
                linked_at = excluded.linked_at, blocked_at = NULL, detached_at = NULL
            """,
            logger: logger
        )
        try await connection.run(
            """
            UPDATE notices SET due_at = least(due_at, \(now.timeIntervalSince1970)), status = 'pending'
            WHERE status = 'waiting_for_chat' AND incident_id IN (SELECT id FROM incidents WHERE user_id = \(userID))
            """,
            logger: logger
        )
    }

    public func unlink(_ chat: ChatAddress, now: Date) async throws -> String? {
        try await transaction { connection in
            let logger = self.logger
            // Taken first, so a link confirmed at the same moment waits for this one.
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext('rebind.chat.' || \(chat.description)))", logger: logger)
            let previous = try await Self.owner(of: chat, on: connection, logger: logger).userID
            try await connection.run(
                """
                INSERT INTO chats (address, user_id, linked_at, detached_at)
                VALUES (\(chat.description), '', \(now.timeIntervalSince1970), \(now.timeIntervalSince1970))
                ON CONFLICT (address) DO UPDATE SET user_id = '', display_name = NULL, detached_at = excluded.detached_at
                """,
                logger: logger
            )
            try await connection.run("DELETE FROM conversations WHERE address = \(chat.description)", logger: logger)
            return previous
        }
    }

    public func owner(of chat: ChatAddress) async throws -> ChatOwner {
        try await withConnection { connection in
            try await Self.owner(of: chat, on: connection, logger: self.logger)
        }
    }

    static func owner(of chat: ChatAddress, on connection: PostgresConnection, logger: Logger) async throws -> ChatOwner {
        let row = try await connection.first(
            "SELECT user_id, display_name, detached_at IS NOT NULL AS detached FROM chats WHERE address = \(chat.description)",
            logger: logger,
            table: "chats",
            {
                (
                    userID: try $0("user_id", as: String.self), displayName: try $0("display_name", as: String?.self),
                    detached: try $0("detached", as: Bool.self)
                )
            }
        )
        if let row {
            if !row.userID.isEmpty { return .linked(userID: row.userID, displayName: row.displayName) }
            // Unlinked by its user: the platform's naming no longer applies.
            if row.detached { return .nobody }
            // Otherwise a chat blocked before anyone linked it: its naming still applies.
        }
        let naming = try await namingUsers(of: chat, on: connection, logger: logger)
        switch naming.count {
        case 0: return .nobody
        case 1: return .named(userID: naming[0])
        default: return .ambiguous
        }
    }

    /// Up to two users whose events name the chat (a Telegram chat id, a Slack team and user).
    static func namingUsers(of chat: ChatAddress, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        switch chat.channel {
        case .telegram:
            guard let chatID = Int64(chat.id) else { return [] }
            return try await connection.all(
                "SELECT id FROM users WHERE telegram_chat_id = \(chatID) LIMIT 2",
                logger: logger,
                table: "users",
                { try $0("id", as: String.self) }
            )
        case .slack:
            guard let (team, user) = chat.slackUser else { return [] }
            return try await connection.all(
                "SELECT id FROM users WHERE slack_team_id = \(team) AND slack_user_id = \(user) LIMIT 2",
                logger: logger,
                table: "users",
                { try $0("id", as: String.self) }
            )
        }
    }

    public func chats(ofUser userID: String) async throws -> [ChatAddress] {
        try await withConnection { connection in try await Self.chats(ofUser: userID, on: connection, logger: self.logger) }
    }

    static func chats(ofUser userID: String, on connection: PostgresConnection, logger: Logger) async throws -> [ChatAddress] {
        var addresses = try await connection.all(
            "SELECT address FROM chats WHERE user_id = \(userID) AND blocked_at IS NULL ORDER BY linked_at",
            logger: logger,
            table: "chats",
            { try $0("address", as: String.self) }
        ).compactMap(ChatAddress.init(storageKey:))
        // The chats the platform named in its events.
        let named =
            try await connection.first(
                "SELECT telegram_chat_id, slack_team_id, slack_user_id FROM users WHERE id = \(userID)",
                logger: logger,
                table: "users"
            ) { row -> [ChatAddress] in
                var named: [ChatAddress] = []
                if let chatID = try row("telegram_chat_id", as: Int64?.self) { named.append(ChatAddress(channel: .telegram, id: String(chatID))) }
                if let team = try row("slack_team_id", as: String?.self), let user = try row("slack_user_id", as: String?.self) {
                    named.append(.slack(teamID: team, userID: user))
                }
                return named
            } ?? []
        // A named chat is this user's only while nobody linked, unlinked or blocked it, and no
        // other user's events name it too.
        for address in named where !addresses.contains(address) {
            let claimed =
                try await connection.first(
                    """
                    SELECT EXISTS (SELECT 1 FROM chats WHERE address = \(address.description)
                        AND (user_id <> '' OR blocked_at IS NOT NULL OR detached_at IS NOT NULL)) AS claimed
                    """,
                    logger: logger,
                    table: "chats",
                    { try $0("claimed", as: Bool.self) }
                ) ?? false
            guard !claimed, try await namingUsers(of: address, on: connection, logger: logger).allSatisfy({ $0 == userID }) else { continue }
            addresses.append(address)
        }
        return addresses
    }

    public func markBlocked(_ chat: ChatAddress, now: Date) async throws {
        try await withConnection { connection in
            // A chat nobody linked stays unlinked ('') while blocked: blocking is no link.
            try await connection.run(
                """
                INSERT INTO chats (address, user_id, linked_at, blocked_at)
                VALUES (\(chat.description), '', \(now.timeIntervalSince1970), \(now.timeIntervalSince1970))
                ON CONFLICT (address) DO UPDATE SET blocked_at = excluded.blocked_at
                """,
                logger: self.logger
            )
        }
    }

    public func unblock(_ chat: ChatAddress) async throws {
        try await withConnection { connection in
            try await connection.run(
                "UPDATE chats SET blocked_at = NULL WHERE address = \(chat.description) AND blocked_at IS NOT NULL",
                logger: self.logger
            )
        }
    }

    // MARK: Inbound updates

    public func recordUpdate(channel: RebindCore.Channel, externalID: String, lane: String?, payload: Data, now: Date) async throws -> Bool {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO updates (channel, external_id, lane, payload, received_at)
                VALUES (\(channel.rawValue), \(externalID), \(lane), \(payload), \(now.timeIntervalSince1970))
                ON CONFLICT DO NOTHING RETURNING 1
                """,
                logger: self.logger
            ) == 1
        }
    }

    public func pendingUpdates(after afterID: Int64, limit: Int) async throws -> [InboundUpdate] {
        try await withConnection { connection in
            try await connection.all(
                "SELECT * FROM updates WHERE processed_at IS NULL AND id > \(afterID) ORDER BY id LIMIT \(limit)",
                logger: self.logger,
                table: "updates",
                Self.inboundUpdate(from:)
            ).compactMap { $0 }
        }
    }

    static func inboundUpdate(from row: Columns) throws -> InboundUpdate? {
        guard let channel = RebindCore.Channel(rawValue: try row("channel")) else { return nil }
        return InboundUpdate(
            id: try row("id"),
            channel: channel,
            externalID: try row("external_id"),
            payload: try row("payload"),
            receivedAt: try row.date("received_at"),
            lane: try row("lane", as: String?.self)
        )
    }

    /// One statement: each candidate lane is upserted into `lane_leases` only where the lease
    /// is ours or has run out. Two replicas upserting one lane at once serialise on its row,
    /// and the second sees the first's lease: only one of them gets the lane.
    public func claimUpdateLanes(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [String] {
        try await withConnection { connection in
            try await connection.all(
                """
                WITH candidates AS (
                    SELECT coalesce(u.lane, 'update:' || u.id) AS lane, min(u.id) AS first FROM updates u
                    WHERE u.processed_at IS NULL AND NOT EXISTS (
                        SELECT 1 FROM lane_leases l
                        WHERE l.lane = coalesce(u.lane, 'update:' || u.id) AND l.owner <> \(owner)
                          AND l.lease_until >= \(now.timeIntervalSince1970))
                    GROUP BY 1 ORDER BY 2 LIMIT \(limit)
                )
                INSERT INTO lane_leases (lane, owner, lease_until)
                SELECT lane, \(owner), \(leaseUntil.timeIntervalSince1970) FROM candidates ORDER BY first
                ON CONFLICT (lane) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                WHERE lane_leases.owner = excluded.owner OR lane_leases.lease_until < \(now.timeIntervalSince1970)
                RETURNING lane
                """,
                logger: self.logger,
                table: "lane_leases",
                { try $0("lane", as: String.self) }
            )
        }
    }

    public func claimLane(_ lane: String, owner: String, now: Date, leaseUntil: Date) async throws -> Bool {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO lane_leases (lane, owner, lease_until) VALUES (\(lane), \(owner), \(leaseUntil.timeIntervalSince1970))
                ON CONFLICT (lane) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                WHERE lane_leases.owner = excluded.owner OR lane_leases.lease_until < \(now.timeIntervalSince1970)
                RETURNING 1
                """,
                logger: self.logger
            ) == 1
        }
    }

    public func renewLanes(_ lanes: [String], owner: String, leaseUntil: Date) async throws {
        guard !lanes.isEmpty else { return }
        try await withConnection { connection in
            try await connection.run(
                "UPDATE lane_leases SET lease_until = \(leaseUntil.timeIntervalSince1970) WHERE owner = \(owner) AND lane = ANY(\(lanes))",
                logger: self.logger
            )
        }
    }

    public func pruneLanes(now: Date) async throws {
        try await withConnection { connection in
            try await connection.run("DELETE FROM lane_leases WHERE lease_until < \(now.timeIntervalSince1970)", logger: self.logger)
        }
    }

    public func releaseLanes(owner: String) async throws {
        try await withConnection { connection in
            try await connection.run("DELETE FROM lane_leases WHERE owner = \(owner)", logger: self.logger)
        }
    }

    public func pendingUpdates(inLanes lanes: [String], after afterID: Int64, limit: Int) async throws -> [InboundUpdate] {
        guard !lanes.isEmpty else { return [] }
        return try await withConnection { connection in
            try await connection.all(
                """
                SELECT * FROM updates WHERE processed_at IS NULL AND coalesce(lane, 'update:' || id) = ANY(\(lanes)) AND id > \(afterID)
                ORDER BY id LIMIT \(limit)
                """,
                logger: self.logger,
                table: "updates",
                Self.inboundUpdate(from:)
            ).compactMap { $0 }
        }
    }

    public func completeUpdate(id: Int64) async throws {
        try await withConnection { connection in
            // Only the fact that it was processed is kept.
            try await connection.run(
                "UPDATE updates SET processed_at = \(Date().timeIntervalSince1970), payload = ''::bytea WHERE id = \(id)",
                logger: self.logger
            )
        }
    }

    // MARK: Conversations

    public func saveConversation(_ sealed: SealedData, chat: ChatAddress, activeAt: Date) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO conversations (address, key_id, sealed, active_at)
                VALUES (\(chat.description), \(sealed.keyID), \(sealed.data), \(activeAt.timeIntervalSince1970))
                ON CONFLICT (address) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, active_at = excluded.active_at
                """,
                logger: self.logger
            )
        }
    }

    public func conversation(chat: ChatAddress) async throws -> SealedData? {
        try await withConnection { connection in
            try await connection.first(
                "SELECT key_id, sealed FROM conversations WHERE address = \(chat.description)",
                logger: self.logger,
                table: "conversations"
            ) { SealedData(keyID: try $0("key_id"), data: try $0("sealed")) }
        }
    }

    public func deleteConversation(chat: ChatAddress) async throws {
        try await withConnection { connection in
            try await connection.run("DELETE FROM conversations WHERE address = \(chat.description)", logger: self.logger)
        }
    }

    public func conversationChats(idleSince: Date) async throws -> [ChatAddress] {
        try await withConnection { connection in
            try await connection.all(
                "SELECT address FROM conversations WHERE active_at <= \(idleSince.timeIntervalSince1970)",
                logger: self.logger,
                table: "conversations",
                { try $0("address", as: String.self) }
            ).compactMap(ChatAddress.init(storageKey:))
        }
    }

    // MARK: Incidents

    public func openIncidents(ofUser userID: String) async throws -> [Incident] {
        try await withConnection { connection in
            try await connection.all(
                "SELECT * FROM incidents WHERE user_id = \(userID) AND resolved_at IS NULL ORDER BY opened_at",
                logger: self.logger,
                table: "incidents",
                Self.incident(from:)
            )
        }
    }

    public func robots(ofIncident incidentID: String, limit: Int?) async throws -> [Incident.AffectedRobot] {
        try await withConnection { connection in
            try await Self.robots(ofIncident: incidentID, limit: limit, on: connection, logger: self.logger)
        }
    }

    /// An incident's robots in halt order, the first `limit` (all when nil).
    static func robots(
        ofIncident incidentID: String,
        limit: Int?,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws
        -> [Incident.AffectedRobot]
    {
        try await connection.all(
            "SELECT * FROM incident_robots WHERE incident_id = \(incidentID) ORDER BY position LIMIT \(limit)",
            logger: logger,
            table: "incident_robots"
        ) { try incidentRobot(from: $0).robot }
    }

    // MARK: Bindings and checks

    public func bindings(ofUser userID: String) async throws -> [Binding] {
        try await withConnection { connection in
            try await connection.all(
                "SELECT * FROM bindings WHERE user_id = \(userID) ORDER BY account_id",
                logger: self.logger,
                table: "bindings",
                Self.binding(from:)
            )
        }
    }

    public func saveCredentials(
        accountID: String,
        userID: String,
        exchange: String,
        keyHint: String,
        sealed: SealedData,
        verdict: KeyVerdict,
        now: Date
    ) async throws {
        let lifetime = BindingLifetime.applied(keyHint: keyHint, verdict: verdict, at: now)
        let policy = configuration.expiryPolicy
        // The key, the account it belongs to and its expiry warnings change together.
        try await transaction { connection in
            try await connection.run(
                """
                INSERT INTO bindings (account_id, user_id, exchange, api_key_hint, bound_at, updated_at,
                                      credentials_key_id, credentials, trading_expires_at, checked_at,
                                      checked_ip_restricted, checked_key_hint, platform_expires_at, platform_ip_restricted)
                VALUES (\(accountID), \(userID), \(exchange), \(keyHint), \(now.timeIntervalSince1970), \(now.timeIntervalSince1970),
                        \(sealed.keyID), \(sealed.data), \(lifetime.checkedExpiresAt?.timeIntervalSince1970), \(now.timeIntervalSince1970),
                        \(lifetime.checkedIPRestricted), \(lifetime.checkedKeyHint), NULL, NULL)
                ON CONFLICT (account_id) DO UPDATE SET
                    api_key_hint = excluded.api_key_hint, bound_at = excluded.bound_at, updated_at = excluded.updated_at,
                    credentials_key_id = excluded.credentials_key_id, credentials = excluded.credentials,
                    trading_expires_at = excluded.trading_expires_at, checked_at = excluded.checked_at,
                    checked_ip_restricted = excluded.checked_ip_restricted, checked_key_hint = excluded.checked_key_hint,
                    platform_expires_at = NULL, platform_ip_restricted = NULL
                """,
                logger: self.logger
            )
            if let uid = verdict.exchangeUID {
                try await Self.saveExchangeUID(uid, accountID: accountID, source: .exchange, at: now, on: connection, logger: self.logger)
            }
            try await Self.replanExpiry(accountID: accountID, policy: policy, now: now, on: connection, logger: self.logger)
        }
    }

    public func exchangeUID(accountID: String) async throws -> String? {
        try await withConnection { connection in
            try await connection.first(
                "SELECT exchange_uid FROM exchange_uids WHERE account_id = \(accountID)",
                logger: self.logger,
                table: "exchange_uids"
            ) { try $0("exchange_uid", as: String.self) }
        }
    }

    public func rotateSecrets(_ reseal: @escaping @Sendable (SealedData, SealContext) throws -> SealedData) async throws -> Int {
        try await transaction { connection in
            let logger = self.logger
            // Updates not yet processed hold sealed payloads too; processed ones hold nothing.
            let waiting =
                try await connection.first(
                    "SELECT count(*) AS waiting FROM updates WHERE processed_at IS NULL",
                    logger: logger,
                    table: "updates",
                    { try $0("waiting", as: Int.self) }
                ) ?? 0
            if waiting > 0 {
                throw Error.updatesWaiting(count: waiting)
            }
            var count = 0
            let credentials = try await connection.all(
                "SELECT account_id, credentials_key_id, credentials FROM bindings WHERE credentials IS NOT NULL FOR UPDATE",
                logger: logger,
                table: "bindings"
            ) {
                (
                    accountID: try $0("account_id", as: String.self),
                    sealed: SealedData(keyID: try $0("credentials_key_id"), data: try $0("credentials"))
                )
            }
            for (accountID, sealed) in credentials {
                let resealed = try reseal(sealed, .binding(accountID: accountID))
                try await connection.run(
                    "UPDATE bindings SET credentials_key_id = \(resealed.keyID), credentials = \(resealed.data) WHERE account_id = \(accountID)",
                    logger: logger
                )
                count += 1
            }
            let queued = try await connection.all(
                "SELECT id, key_id, sealed FROM binding_updates WHERE status = 'pending' FOR UPDATE",
                logger: logger,
                table: "binding_updates"
            ) { (id: try $0("id", as: String.self), sealed: SealedData(keyID: try $0("key_id"), data: try $0("sealed"))) }
            for (id, sealed) in queued {
                let resealed = try reseal(sealed, .bindingUpdate(id: id))
                try await connection.run(
                    "UPDATE binding_updates SET key_id = \(resealed.keyID), sealed = \(resealed.data) WHERE id = \(id)",
                    logger: logger
                )
                count += 1
            }
            let installations = try await connection.all(
                "SELECT team_id, key_id, sealed FROM slack_installations FOR UPDATE",
                logger: logger,
                table: "slack_installations"
            ) { (teamID: try $0("team_id", as: String.self), sealed: SealedData(keyID: try $0("key_id"), data: try $0("sealed"))) }
            for (teamID, sealed) in installations {
                let resealed = try reseal(sealed, SlackInstallation.context(teamID: teamID))
                try await connection.run(
                    "UPDATE slack_installations SET key_id = \(resealed.keyID), sealed = \(resealed.data) WHERE team_id = \(teamID)",
                    logger: logger
                )
                count += 1
            }
            let conversations = try await connection.all(
                "SELECT address, key_id, sealed FROM conversations FOR UPDATE",
                logger: logger,
                table: "conversations"
            ) { (address: try $0("address", as: String.self), sealed: SealedData(keyID: try $0("key_id"), data: try $0("sealed"))) }
            for (address, sealed) in conversations {
                guard let chat = ChatAddress(storageKey: address) else {
                    throw Error.corruptRow(table: "conversations", detail: "address \(address) names no chat")
                }
                let resealed = try reseal(sealed, .conversation(chat))
                try await connection.run(
                    "UPDATE conversations SET key_id = \(resealed.keyID), sealed = \(resealed.data) WHERE address = \(address)",
                    logger: logger
                )
                count += 1
            }
            return count
        }
    }

    public func sealedCredentials() async throws -> [(accountID: String, sealed: SealedData)] {
        try await withConnection { connection in
            try await connection.all(
                "SELECT account_id, credentials_key_id, credentials FROM bindings WHERE credentials IS NOT NULL",
                logger: self.logger,
                table: "bindings"
            ) {
                (
                    accountID: try $0("account_id", as: String.self),
                    sealed: SealedData(keyID: try $0("credentials_key_id"), data: try $0("credentials"))
                )
            }
        }
    }

    public func recordFailedCheck(accountID: String, now: Date) async throws {
        try await transaction { connection in
            try await connection.run(
                "INSERT INTO check_failures (account_id, failed_at) VALUES (\(accountID), \(now.timeIntervalSince1970))",
                logger: self.logger
            )
            try await connection.run(
                "DELETE FROM check_failures WHERE account_id = \(accountID) AND failed_at < \(now.timeIntervalSince1970 - 86400)",
                logger: self.logger
            )
        }
    }

    public func failedChecks(accountID: String, since: Date) async throws -> [Date] {
        try await withConnection { connection in
            try await connection.all(
                """
                SELECT failed_at FROM check_failures WHERE account_id = \(accountID) AND failed_at >= \(since.timeIntervalSince1970)
                ORDER BY failed_at
                """,
                logger: self.logger,
                table: "check_failures",
                { try $0.date("failed_at") }
            )
        }
    }
}
