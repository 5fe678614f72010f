import Foundation

/// A chat update (Telegram update, Slack event) stored before it is processed.
public struct InboundUpdate: Sendable, Equatable {
    public var id: Int64
    public var channel: Channel
    /// The platform's id of the update (Telegram `update_id`, Slack `event_id`).
    public var externalID: String
    public var payload: Data
    public var receivedAt: Date
    /// The chat it belongs to (its `ChatAddress` description): a chat's updates are handled
    /// in order, by one replica at a time. An update stored without one is a lane of its own.
    public var lane: String

    public init(id: Int64, channel: Channel, externalID: String, payload: Data, receivedAt: Date, lane: String? = nil) {
        self.id = id
        self.channel = channel
        self.externalID = externalID
        self.payload = payload
        self.receivedAt = receivedAt
        self.lane = lane ?? Self.ownLane(id: id)
    }

    /// The lane of an update that names no chat.
    public static func ownLane(id: Int64) -> String { "update:\(id)" }
}

/// A notice waiting for delivery, with its retry state.
public struct DueNotice: Sendable, Equatable {
    public var id: Int64
    public var notice: IncidentNotice
    /// `reminder` notices re-send an incident; the rest follow `notice`.
    public var isReminder: Bool
    public var attempts: Int
    public var firstAttemptAt: Date?

    public init(id: Int64, notice: IncidentNotice, isReminder: Bool, attempts: Int, firstAttemptAt: Date?) {
        self.id = id
        self.notice = notice
        self.isReminder = isReminder
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
    }
}

/// A chat an incident's notice goes to, with the message the incident already has there.
public struct DeliveryTarget: Sendable, Equatable {
    public var chat: ChatAddress
    /// The incident's message in that chat (the latest, after a reminder); nil before the first.
    public var messageID: String?

    public init(chat: ChatAddress, messageID: String?) {
        self.chat = chat
        self.messageID = messageID
    }
}

/// A notice that was delivered, and the message its send left in a chat, if it sent one.
public struct DeliveredNotice: Sendable, Equatable {
    public var id: Int64
    public var incidentID: String
    /// The chat and the platform's id of the message sent there; nil for an edit.
    public var sent: (chat: ChatAddress, messageID: String)?

    public init(id: Int64, incidentID: String, sent: (chat: ChatAddress, messageID: String)?) {
        self.id = id
        self.incidentID = incidentID
        self.sent = sent
    }

    public static func == (lhs: DeliveredNotice, rhs: DeliveredNotice) -> Bool {
        lhs.id == rhs.id && lhs.incidentID == rhs.incidentID && lhs.sent?.chat == rhs.sent?.chat && lhs.sent?.messageID == rhs.sent?.messageID
    }
}

/// What delivering an incident's notices needs: the incident as it is now, the first of its
/// robots (as many as a message lists; its totals count the rest) and its targets.
public struct DeliveryContext: Sendable, Equatable {
    public var incident: Incident
    /// The first robots in halt order, at most the limit the store was asked for.
    public var robots: [Incident.AffectedRobot]
    public var targets: [DeliveryTarget]

    public init(incident: Incident, robots: [Incident.AffectedRobot], targets: [DeliveryTarget]) {
        self.incident = incident
        self.robots = robots
        self.targets = targets
    }
}

/// A binding update on its way to the platform: sealed, because it carries the new
/// credentials. `id` is its `webhook-id`, the same on every attempt, so the platform can
/// tell a retry from a new update.
public struct QueuedBindingUpdate: Sendable, Equatable {
    public var id: String
    /// The chat whose conversation waits on it, and that is told how it ended.
    public var chat: ChatAddress
    public var accountID: String
    public var sealed: SealedData
    public var attempts: Int
    public var firstAttemptAt: Date?

    public init(id: String, chat: ChatAddress, accountID: String, sealed: SealedData, attempts: Int = 0, firstAttemptAt: Date? = nil) {
        self.id = id
        self.chat = chat
        self.accountID = accountID
        self.sealed = sealed
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
    }
}

/// A notice given up on: for the console's dead letters and for replay.
public struct DeadNotice: Sendable, Equatable {
    public var id: Int64
    public var incidentID: String
    /// `announce`, `update`, `resolve`, `withdraw` or `reminder`, as stored.
    public var kind: String
    public var attempts: Int
    public var deadAt: Date?
    /// The channel whose refusal ended it, when one did.
    public var channel: Channel?
    public var error: String?

    public init(id: Int64, incidentID: String, kind: String, attempts: Int, deadAt: Date?, channel: Channel?, error: String?) {
        self.id = id
        self.incidentID = incidentID
        self.kind = kind
        self.attempts = attempts
        self.deadAt = deadAt
        self.channel = channel
        self.error = error
    }
}

/// Which dead-lettered notices to requeue: all of them when every field is nil.
public struct DeadNoticeSelection: Sendable, Equatable {
    /// Only those a refusal on this channel ended.
    public var channel: Channel?
    /// Only those dead-lettered at or after this time.
    public var since: Date?
    /// Only these notices.
    public var ids: [Int64]?

    public init(channel: Channel? = nil, since: Date? = nil, ids: [Int64]? = nil) {
        self.channel = channel
        self.since = since
        self.ids = ids
    }

    /// What is wrong with a selection as an operator wrote it: the field and why.
    public struct Invalid: Error, Equatable {
        public var field: String
        public var message: String
    }

    /// A selection from text: `channel` a channel's name, `since` an RFC 3339 time.
    public static func parse(channel: String?, since: String?, ids: [Int64]? = nil) throws(Invalid) -> DeadNoticeSelection {
        var selection = DeadNoticeSelection(ids: ids)
        if let channel {
            guard let known = Channel(rawValue: channel) else { throw Invalid(field: "channel", message: "channel must be telegram or slack") }
            selection.channel = known
        }
        if let since {
            guard let date = Timestamp.parse(since) else {
                throw Invalid(field: "since", message: "since must be an RFC 3339 time, e.g. 2026-12-05T08:00:00Z")
            }
            selection.since = date
        }
        return selection
    }
}

/// An input Rebind writes into a chat's lane, stored (sealed) like the platforms' updates.
public struct LaneInput: Sendable, Equatable {
    public var channel: Channel
    public var externalID: String
    public var lane: String
    public var payload: Data

    public init(channel: Channel, externalID: String, lane: String, payload: Data) {
        self.channel = channel
        self.externalID = externalID
        self.lane = lane
        self.payload = payload
    }
}

/// How a binding update left the outbox.
public enum BindingUpdateEnd: String, Sendable, Equatable {
    /// The platform took it (2xx).
    case delivered
    /// The platform refused it for good (a 4xx other than 408 and 429).
    case refused
    /// Retried until the time limit without an answer.
    case deadLettered = "dead"
}

/// Links between platform users and chats: who a chat belongs to, and which chats a user has.
public protocol LinkStore: Sendable {
    /// Stores a link token (only its hash). False when `link.webhookID` made a link already:
    /// nothing is stored, and the platform is told to retry with a new id.
    func createLink(_ link: NewLink, now: Date) async throws -> Bool
    /// The link a token hash names while it can be used; nil when unknown, used or expired.
    /// Spends nothing: `/start <token>` only asks.
    func pendingLink(tokenHash: String, now: Date) async throws -> PendingLink?
    /// Spends a link token (Confirm): links the chat to its user, moving it from any other
    /// user (whose key conversation in the chat ends), and makes the user's waiting notices
    /// due now. Nil when the token is unknown, used or expired.
    func redeemLink(tokenHash: String, chat: ChatAddress, now: Date) async throws -> RedeemedLink?
    /// Detaches a chat (`/unlink`): it belongs to nobody, and events naming it no longer
    /// reach it, until it is linked again. Its key conversation ends. Returns the user it
    /// belonged to.
    func unlink(_ chat: ChatAddress, now: Date) async throws -> String?
    /// Who the chat belongs to (see `ChatOwner`).
    func owner(of chat: ChatAddress) async throws -> ChatOwner
    /// The chats a user's notices go to: those the user linked, and those the user's events
    /// name that nobody else links or names (and nobody unlinked); blocked chats left out.
    func chats(ofUser userID: String) async throws -> [ChatAddress]
    func markBlocked(_ chat: ChatAddress, now: Date) async throws
    /// The user wrote to the bot again: a chat marked blocked can be written to once more.
    func unblock(_ chat: ChatAddress) async throws
}

extension LinkStore {
    /// The user whose notices and key flows use the chat; nil for an ambiguous or unowned one.
    public func userID(linkedTo chat: ChatAddress) async throws -> String? {
        try await owner(of: chat).userID
    }
}

/// A link token to store (`POST /v1/links`).
public struct NewLink: Sendable, Equatable {
    public var tokenHash: String
    public var userID: String
    public var displayName: String
    /// The request's `webhook-id`: one link per id.
    public var webhookID: String
    public var expiresAt: Date

    public init(tokenHash: String, userID: String, displayName: String, webhookID: String, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.displayName = displayName
        self.webhookID = webhookID
        self.expiresAt = expiresAt
    }
}

/// A link that can still be used.
public struct PendingLink: Sendable, Equatable {
    public var userID: String
    public var displayName: String

    public init(userID: String, displayName: String) {
        self.userID = userID
        self.displayName = displayName
    }
}

/// What Confirm did.
public struct RedeemedLink: Sendable, Equatable {
    public var userID: String
    public var displayName: String
    /// The user the chat was linked to before, when another one.
    public var previousUserID: String?

    public init(userID: String, displayName: String, previousUserID: String?) {
        self.userID = userID
        self.displayName = displayName
        self.previousUserID = previousUserID
    }
}

/// What is known of users' languages (DESIGN §4): the `/language` choice made in a chat, the
/// language a chat's app reports, and the events' `user.locale`.
public protocol LanguageStore: Sendable {
    /// The `/language` choice made in this chat; nil clears it.
    func setChosenLanguage(_ locale: String?, chat: ChatAddress, now: Date) async throws
    /// The language the chat's app reports (Telegram `language_code`, Slack's locale).
    func recordReportedLanguage(_ tag: String, chat: ChatAddress, now: Date) async throws
    /// A user's preferences (from all of their chats and their events) and, over them, the
    /// chat's own; either may be nil.
    func languagePreferences(userID: String?, chat: ChatAddress?) async throws -> LanguagePreferences
}

/// Chat updates and Rebind's own chat inputs, stored before they are handled, each in its
/// chat's lane: handled in order within a lane, by one replica at a time.
public protocol UpdateInbox: Sendable {
    /// Stores an update once (false for a duplicate of `channel` and `externalID`).
    func recordUpdate(channel: Channel, externalID: String, lane: String?, payload: Data, now: Date) async throws -> Bool
    /// Leases to `owner` up to `limit` lanes that have unprocessed updates, oldest first,
    /// unless another owner holds the lane with a lease that has not run out; renews the
    /// lanes `owner` holds. Returns the lanes `owner` now holds. Replicas call this so that a
    /// chat's updates are handled by one of them at a time, in order.
    func claimUpdateLanes(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [String]
    /// Leases one lane (a chat) to `owner` unless another owner holds it; false if so.
    func claimLane(_ lane: String, owner: String, now: Date, leaseUntil: Date) async throws -> Bool
    /// Extends `owner`'s leases on these lanes (the ones it is working through in memory).
    func renewLanes(_ lanes: [String], owner: String, leaseUntil: Date) async throws
    /// Forgets leases that ran out.
    func pruneLanes(now: Date) async throws
    /// Gives up every lane `owner` holds (a replica shutting down), so others take them at once.
    func releaseLanes(owner: String) async throws
    /// Unprocessed updates of these lanes with an id above `afterID`, oldest first.
    func pendingUpdates(inLanes lanes: [String], after afterID: Int64, limit: Int) async throws -> [InboundUpdate]
    func completeUpdate(id: Int64) async throws
}

/// Key conversations in progress, sealed because they hold secrets.
public protocol ConversationStore: Sendable {
    func saveConversation(_ sealed: SealedData, chat: ChatAddress, activeAt: Date) async throws
    func conversation(chat: ChatAddress) async throws -> SealedData?
    func deleteConversation(chat: ChatAddress) async throws
    /// Chats whose conversation was last active before `idleSince`.
    func conversationChats(idleSince: Date) async throws -> [ChatAddress]
}

/// Incidents' notices on their way to chats, with their retry state, and the messages they left.
public protocol NoticeOutbox: Sendable {
    /// Records what each try to deliver a notice to a chat came to, for the console.
    func recordNoticeAttempts(_ attempts: [NoticeAttempt]) async throws
    /// Takes up to `limit` due notices for delivery, most urgent first (recovery, then first
    /// messages, then reminders), and leases them until `leaseUntil`: another pass (or another
    /// replica) does not take them meanwhile, and a sender that dies lets them fall due again.
    func claimNotices(now: Date, limit: Int, leaseUntil: Date) async throws -> [DueNotice]
    /// Makes a claimed notice due at `at` without counting an attempt (paced, held by a 429,
    /// or handed back at shutdown).
    func deferNotice(id: Int64, at: Date) async throws
    func completeNotice(id: Int64) async throws
    /// Marks delivered notices done and records the messages they sent, in one transaction
    /// for all (the sender commits many at once under load).
    func completeNotices(_ delivered: [DeliveredNotice]) async throws
    /// `deliveryTargets` with each incident and its first `robotLimit` robots, for many
    /// incidents in one read; an unknown incident is left out.
    func deliveryContexts(incidentIDs: [String], robotLimit: Int) async throws -> [String: DeliveryContext]
    /// Parks a notice until its user links a chat; linking makes it due again.
    func parkNotice(id: Int64) async throws
    func retryNotice(id: Int64, at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws
    /// Gives up on a notice; `channel` is the channel whose refusal ended it, when one did.
    func deadLetterNotice(id: Int64, error: String, channel: Channel?, now: Date) async throws
    /// Makes the dead-lettered notices that match pending again, due at once, each once; how
    /// many. Their plan then skips what no longer applies (a resolved incident's guidance).
    func requeueDeadNotices(_ selection: DeadNoticeSelection, now: Date) async throws -> Int
    /// Dead-lettered notices, latest first, `limit` at most, before the notice `beforeID` when
    /// given (the next page).
    func deadNotices(limit: Int, beforeID: Int64?) async throws -> [DeadNotice]
    func saveIncidentMessageID(_ messageID: String, incidentID: String, chat: ChatAddress) async throws
    /// Queues the next reminder of every open, announced incident whose time has come.
    func scheduleReminders(policy: IncidentPolicy, now: Date) async throws -> Int
    func openIncidents(ofUser userID: String) async throws -> [Incident]
    /// An incident's robots in halt order, the first `limit` of them (all when nil).
    func robots(ofIncident incidentID: String, limit: Int?) async throws -> [Incident.AffectedRobot]
    /// Queues one reminder of an incident at a set time ("Remind me later").
    func scheduleReminder(incidentID: String, at: Date, now: Date) async throws
}

/// Binding updates to the platform: an outbox of their own, since they carry credentials.
public protocol BindingOutbox: Sendable {
    /// Queues a binding update and saves the conversation that waits on it, in one transaction:
    /// a crash leaves both or neither. A second update with the same id is ignored.
    func queueBindingUpdate(_ update: QueuedBindingUpdate, conversation: SealedData, activeAt: Date, now: Date) async throws
    /// Queues a binding update made outside the chat (the Mini App key form) with the input
    /// that tells its chat, in one transaction: a crash leaves both or neither. A second
    /// update with the same id, or an input with the same external id, is ignored.
    func queueBindingUpdate(_ update: QueuedBindingUpdate, telling input: LaneInput, now: Date) async throws
    /// Takes up to `limit` due binding updates, oldest first, leased until `leaseUntil`.
    func claimBindingUpdates(now: Date, limit: Int, leaseUntil: Date) async throws -> [QueuedBindingUpdate]
    /// Makes a binding update due again at `at`; `attempts` counts the failures so far.
    func retryBindingUpdate(id: String, at: Date, attempts: Int, firstAttemptAt: Date, error: String?) async throws
    /// Ends a binding update and wipes its sealed credentials.
    func endBindingUpdate(id: String, as end: BindingUpdateEnd, error: String?, now: Date) async throws
    /// Whether a binding update from this chat is still on its way.
    func hasPendingBindingUpdate(chat: ChatAddress) async throws -> Bool
}

/// Accounts' accepted credentials (sealed), the exchange account they belong to, and the
/// record of failed key checks.
public protocol CredentialStore: Sendable {
    func bindings(ofUser userID: String) async throws -> [Binding]
    func saveCredentials(
        accountID: String,
        userID: String,
        exchange: String,
        keyHint: String,
        sealed: SealedData,
        verdict: KeyVerdict,
        now: Date
    ) async throws
    func recordFailedCheck(accountID: String, now: Date) async throws
    func failedChecks(accountID: String, since: Date) async throws -> [Date]
    /// The exchange's id of the account's key (Binance's or OKX's `uid`), when known: written
    /// by an event's `account.exchange_uid` and by `saveCredentials` with a verdict that names
    /// one, the latest winning. A new key must belong to it.
    func exchangeUID(accountID: String) async throws -> String?
}

/// Storage for the chat side: each role's port (expiry warnings and the platform outbox
/// among them), composed into the one store the app runs on.
public typealias ChatStore = LinkStore & LanguageStore & UpdateInbox & ConversationStore & NoticeOutbox & BindingOutbox & CredentialStore
    & ExpiryWarningOutbox & PlatformEventOutbox

extension UpdateInbox {
    public func recordUpdate(channel: Channel, externalID: String, payload: Data, now: Date) async throws -> Bool {
        try await recordUpdate(channel: channel, externalID: externalID, lane: nil, payload: payload, now: now)
    }
}
