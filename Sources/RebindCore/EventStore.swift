import Foundation

/// An event that passed signature and field checks, on its way into the store.
public struct IncomingEvent: Sendable, Equatable {
    /// The `webhook-id`: the idempotency key.
    public var id: String
    public var event: RobotEvent
    /// The classified cause of a halt; nil for events that report none.
    public var cause: Cause?
    /// The body exactly as received, kept for audit and replay.
    public var body: Data
    public var receivedAt: Date

    public init(id: String, event: RobotEvent, cause: Cause?, body: Data, receivedAt: Date) {
        self.id = id
        self.event = event
        self.cause = cause
        self.body = body
        self.receivedAt = receivedAt
    }
}

public enum IngestOutcome: Sendable, Equatable {
    /// Stored now, with everything it caused.
    case stored(cause: Cause?)
    /// The same `webhook-id` was stored before; nothing new was created.
    case duplicate(cause: Cause?)

    public var cause: Cause? {
        switch self {
        case .stored(let cause), .duplicate(let cause): cause
        }
    }

    public var isDuplicate: Bool {
        if case .duplicate = self { return true }
        return false
    }
}

/// A notice waiting in the outbox for the messaging side.
public struct PendingNotice: Sendable, Equatable {
    public var id: Int64
    public var notice: IncidentNotice
    public var dueAt: Date

    public init(id: Int64, notice: IncidentNotice, dueAt: Date) {
        self.id = id
        self.notice = notice
        self.dueAt = dueAt
    }
}

/// A bound exchange account, for expiry tracking.
public struct Binding: Sendable, Equatable {
    public var accountID: String
    public var userID: String
    public var exchange: String
    public var label: String?
    public var apiKeyHint: String?
    public var boundAt: Date?
    /// When the exchange withdraws trading from the key, when it said so at the last check.
    public var tradingExpiresAt: Date?
    /// When the key lapses and why Rebind thinks so (DESIGN §10); nil when nothing says.
    public var expiry: KeyExpiry?

    public init(
        accountID: String,
        userID: String,
        exchange: String,
        label: String? = nil,
        apiKeyHint: String? = nil,
        boundAt: Date? = nil,
        tradingExpiresAt: Date? = nil,
        expiry: KeyExpiry? = nil
    ) {
        self.accountID = accountID
        self.userID = userID
        self.exchange = exchange
        self.label = label
        self.apiKeyHint = apiKeyHint
        self.boundAt = boundAt
        self.tradingExpiresAt = tradingExpiresAt
        self.expiry = expiry
    }
}

/// Durable storage of events and everything they cause. An implementation commits an event,
/// the incident changes it causes and the notices that follow in one transaction, so an
/// acknowledged event is never half-applied.
public protocol EventStore: Sendable {
    /// Stores the event unless its id was seen before. Throws when the store cannot commit;
    /// nothing is then stored.
    func ingest(_ event: IncomingEvent) async throws -> IngestOutcome
    /// Throws when the store cannot serve requests.
    func checkReady() async throws
    /// Whether an event with this id is stored.
    func containsEvent(id: String) async throws -> Bool
    func eventCount() async throws -> Int
    func openIncidents(userID: String, accountID: String) async throws -> [Incident]
    func incident(id: String) async throws -> Incident?
    func pendingNotices() async throws -> [PendingNotice]
    func binding(accountID: String) async throws -> Binding?
}
