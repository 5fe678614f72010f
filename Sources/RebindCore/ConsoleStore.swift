import Foundation

/// What the operator's console (DESIGN §11) reads: counts for the overview, incidents a page at
/// a time, one incident in full, bindings by days left. Every list is keyset-paginated on an
/// index, so a page costs the same at a million events as at ten. Nothing here holds a secret:
/// conversations come back sealed, for the console to show only their step.
public protocol ConsoleStore: Sendable {
    func consoleOverview(now: Date, expiringWithin: TimeInterval) async throws -> ConsoleOverview
    /// Newest first; `after` is the last row of the page before.
    func consoleIncidents(_ filter: ConsoleIncidentFilter, after: ConsoleIncidentCursor?, limit: Int) async throws -> [ConsoleIncident]
    /// The incident, its events (the account's, while it was open; newest `eventLimit`), each
    /// notice with every delivery attempt, and its user's chats with their conversations.
    func consoleIncident(id: String, eventLimit: Int) async throws -> ConsoleIncidentDetail?
    /// Bindings whose key has a known expiry, soonest first; `after` is the last row of the page before.
    func consoleBindings(after: ConsoleBindingCursor?, limit: Int) async throws -> [ConsoleBinding]
}

public struct ConsoleOverview: Sendable, Equatable {
    public var eventsToday: Int
    public var incidentsOpenedToday: Int
    public var openIncidents: Int
    public var pendingNotices: Int
    /// When the longest-waiting pending notice was due; nil when none waits.
    public var oldestPendingDueAt: Date?
    public var deadNotices: Int
    /// Bindings whose key runs out within the window asked for.
    public var expiringBindings: Int

    public init(
        eventsToday: Int = 0,
        incidentsOpenedToday: Int = 0,
        openIncidents: Int = 0,
        pendingNotices: Int = 0,
        oldestPendingDueAt: Date? = nil,
        deadNotices: Int = 0,
        expiringBindings: Int = 0
    ) {
        self.eventsToday = eventsToday
        self.incidentsOpenedToday = incidentsOpenedToday
        self.openIncidents = openIncidents
        self.pendingNotices = pendingNotices
        self.oldestPendingDueAt = oldestPendingDueAt
        self.deadNotices = deadNotices
        self.expiringBindings = expiringBindings
    }

    /// The start of the UTC day of `now`: "today" on the console.
    public static func startOfDay(_ now: Date) -> Date {
        Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }
}

public struct ConsoleIncidentFilter: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case open, resolved
    }

    public var userID: String?
    public var accountID: String?
    public var state: State?

    public init(userID: String? = nil, accountID: String? = nil, state: State? = nil) {
        self.userID = userID
        self.accountID = accountID
        self.state = state
    }
}

/// Where a page of incidents ends: the last row's opening time and id.
public struct ConsoleIncidentCursor: Sendable, Equatable {
    public var openedAt: Date
    public var id: String

    public init(openedAt: Date, id: String) {
        self.openedAt = openedAt
        self.id = id
    }

    /// `<opened-at seconds>_<id>`, as pages link to the next.
    public var token: String { "\(openedAt.timeIntervalSince1970)_\(id)" }

    public init?(token: String) {
        guard let separator = token.firstIndex(of: "_"), let seconds = Double(token[..<separator]), seconds.isFinite else { return nil }
        let id = String(token[token.index(after: separator)...])
        guard !id.isEmpty else { return nil }
        self.init(openedAt: Date(timeIntervalSince1970: seconds), id: id)
    }
}

public struct ConsoleIncident: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var accountID: String
    public var exchange: String
    public var cause: String
    public var robotCount: Int
    public var openedAt: Date
    public var resolvedAt: Date?
    public var resolution: String?

    public init(
        id: String,
        userID: String,
        accountID: String,
        exchange: String,
        cause: String,
        robotCount: Int,
        openedAt: Date,
        resolvedAt: Date?,
        resolution: String?
    ) {
        self.id = id
        self.userID = userID
        self.accountID = accountID
        self.exchange = exchange
        self.cause = cause
        self.robotCount = robotCount
        self.openedAt = openedAt
        self.resolvedAt = resolvedAt
        self.resolution = resolution
    }

    public var cursor: ConsoleIncidentCursor { ConsoleIncidentCursor(openedAt: openedAt, id: id) }
}

public struct ConsoleIncidentDetail: Sendable, Equatable {
    public var incident: ConsoleIncident
    /// What the platform reported, as it wrote it (with its code and message when it gave them).
    public var reason: String
    public var remindersSent: Int
    public var events: [ConsoleEvent]
    public var notices: [ConsoleNotice]
    public var chats: [ConsoleChat]

    public init(incident: ConsoleIncident, reason: String, remindersSent: Int, events: [ConsoleEvent], notices: [ConsoleNotice], chats: [ConsoleChat])
    {
        self.incident = incident
        self.reason = reason
        self.remindersSent = remindersSent
        self.events = events
        self.notices = notices
        self.chats = chats
    }

    /// The reason as the stores keep it (`RobotEvent.Reason` as JSON), for reading: its text,
    /// then its code and message; the stored text itself if it is not that JSON.
    public static func reasonText(stored: String) -> String {
        guard let reason = try? JSONDecoder().decode(RobotEvent.Reason.self, from: Data(stored.utf8)) else { return stored }
        return ([reason.text] + [reason.code, reason.message].compactMap { $0 }).joined(separator: " · ")
    }
}

public struct ConsoleEvent: Sendable, Equatable {
    public var webhookID: String
    public var type: String
    public var robotID: String?
    public var cause: String?
    public var occurredAt: Date
    public var receivedAt: Date

    public init(webhookID: String, type: String, robotID: String?, cause: String?, occurredAt: Date, receivedAt: Date) {
        self.webhookID = webhookID
        self.type = type
        self.robotID = robotID
        self.cause = cause
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
    }
}

public struct ConsoleNotice: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    /// `pending`, `sent`, `dead`, `waiting_for_chat`, as stored.
    public var status: String
    public var createdAt: Date
    public var dueAt: Date
    public var lastError: String?
    public var attempts: [NoticeAttempt]

    public init(id: Int64, kind: String, status: String, createdAt: Date, dueAt: Date, lastError: String?, attempts: [NoticeAttempt]) {
        self.id = id
        self.kind = kind
        self.status = status
        self.createdAt = createdAt
        self.dueAt = dueAt
        self.lastError = lastError
        self.attempts = attempts
    }
}

/// One try to deliver a notice to one chat.
public struct NoticeAttempt: Sendable, Equatable {
    public enum Outcome: String, Sendable, CaseIterable {
        case delivered
        case rateLimited = "rate_limited"
        case transient
        case blocked
        case permanent
        case channelRefused = "channel_refused"
    }

    public var noticeID: Int64
    public var chat: ChatAddress
    public var at: Date
    public var outcome: Outcome
    /// What the platform said, for a failure (never a secret: delivery errors hold none).
    public var error: String?

    public init(noticeID: Int64, chat: ChatAddress, at: Date, outcome: Outcome, error: String?) {
        self.noticeID = noticeID
        self.chat = chat
        self.at = at
        self.outcome = outcome
        self.error = error
    }

    public init(noticeID: Int64, chat: ChatAddress, at: Date, failure: DeliveryError?) {
        let outcome: Outcome =
            switch failure {
            case nil: .delivered
            case .rateLimited?: .rateLimited
            case .transient?: .transient
            case .blocked?: .blocked
            case .permanent?: .permanent
            case .channelRefused?: .channelRefused
            }
        self.init(noticeID: noticeID, chat: chat, at: at, outcome: outcome, error: failure.map { "\($0)" })
    }
}

/// A chat of the incident's user, and its key conversation, still sealed.
public struct ConsoleChat: Sendable, Equatable {
    public var chat: ChatAddress
    /// Linked through a link (`true`), or named by the platform's events (`telegram_chat_id`,
    /// the Slack ids) (`false`).
    public var linked: Bool = true
    /// When it was linked, or when the platform last named it.
    public var linkedAt: Date
    public var blockedAt: Date?
    public var conversation: SealedData?
    public var conversationActiveAt: Date?

    public init(chat: ChatAddress, linkedAt: Date, blockedAt: Date?, conversation: SealedData?, conversationActiveAt: Date?) {
        self.chat = chat
        self.linkedAt = linkedAt
        self.blockedAt = blockedAt
        self.conversation = conversation
        self.conversationActiveAt = conversationActiveAt
    }

    /// The chats the platform's events name for a user (its `users` row), as addresses.
    public static func eventChats(telegramChatID: Int64?, slackTeamID: String?, slackUserID: String?) -> [ChatAddress] {
        var chats: [ChatAddress] = []
        if let telegramChatID { chats.append(ChatAddress(channel: .telegram, id: String(telegramChatID))) }
        if let slackTeamID, let slackUserID { chats.append(.slack(teamID: slackTeamID, userID: slackUserID)) }
        return chats
    }
}

public struct ConsoleBindingCursor: Sendable, Equatable {
    public var expiresAt: Date
    public var accountID: String

    public init(expiresAt: Date, accountID: String) {
        self.expiresAt = expiresAt
        self.accountID = accountID
    }

    public var token: String { "\(expiresAt.timeIntervalSince1970)_\(accountID)" }

    public init?(token: String) {
        guard let cursor = ConsoleIncidentCursor(token: token) else { return nil }
        self.init(expiresAt: cursor.openedAt, accountID: cursor.id)
    }
}

public struct ConsoleBinding: Sendable, Equatable {
    public var accountID: String
    public var userID: String
    public var exchange: String
    public var label: String?
    /// The last characters of the key, as stored for showing.
    public var keyHint: String?
    public var expiresAt: Date
    /// Where the date comes from (`platform`, `exchange`, `policy`), as stored.
    public var expirySource: String?

    public init(accountID: String, userID: String, exchange: String, label: String?, keyHint: String?, expiresAt: Date, expirySource: String?) {
        self.accountID = accountID
        self.userID = userID
        self.exchange = exchange
        self.label = label
        self.keyHint = keyHint
        self.expiresAt = expiresAt
        self.expirySource = expirySource
    }

    public var cursor: ConsoleBindingCursor { ConsoleBindingCursor(expiresAt: expiresAt, accountID: accountID) }
}
