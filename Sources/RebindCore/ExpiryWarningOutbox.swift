import Foundation

/// One account's expiry warning that fell due, with what its message says of the account.
public struct DueExpiryWarning: Sendable, Equatable {
    public var id: ID
    public var userID: String
    public var exchange: String
    public var label: String?
    public var keyHint: String?
    /// The expiry the warning was scheduled for.
    public var expiresAt: Date
    public var source: KeyExpiry.Source
    /// A key incident of the account is open: its guidance says it all.
    public var keyIncidentOpen: Bool
    public var attempts: Int
    public var firstAttemptAt: Date?

    /// A warning is one moment (`days` before expiry) of one account.
    public struct ID: Sendable, Hashable {
        public var accountID: String
        public var days: Int

        public init(accountID: String, days: Int) {
            self.accountID = accountID
            self.days = days
        }
    }

    public init(
        id: ID,
        userID: String,
        exchange: String,
        label: String? = nil,
        keyHint: String? = nil,
        expiresAt: Date,
        source: KeyExpiry.Source,
        keyIncidentOpen: Bool = false,
        attempts: Int = 0,
        firstAttemptAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.exchange = exchange
        self.label = label
        self.keyHint = keyHint
        self.expiresAt = expiresAt
        self.source = source
        self.keyIncidentOpen = keyIncidentOpen
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
    }
}

/// How a warning left the outbox.
public enum ExpiryWarningEnd: String, Sendable, Equatable {
    /// Told to the user.
    case sent
    /// Not worth telling any more: the key expired, a key incident is open, or a later
    /// warning of the same account went with it.
    case skipped
    /// Retried until the time limit without reaching any chat.
    case deadLettered = "dead"
}

/// A signed event on its way to the platform (`api_binding.expiring`): its body is fixed when
/// it is queued, and `id` is its `webhook-id` on every attempt.
public struct QueuedPlatformEvent: Sendable, Equatable {
    public var id: String
    public var body: Data
    public var attempts: Int
    public var firstAttemptAt: Date?

    public init(id: String, body: Data, attempts: Int = 0, firstAttemptAt: Date? = nil) {
        self.id = id
        self.body = body
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
    }
}

/// The expiry warnings outbox (DESIGN §10): durable timers planned in the transaction that
/// changes a binding, claimed under a lease like notices, so each moment of each account is
/// told once whichever replica takes it.
public protocol ExpiryWarningOutbox: Sendable {
    /// Claims up to `limit` users with a warning due, each with every pending warning of
    /// theirs due within `mergeWithin` of their earliest one (one message per user per
    /// moment), leased until `leaseUntil`.
    func claimExpiryWarnings(now: Date, mergeWithin: TimeInterval, limit: Int, leaseUntil: Date) async throws -> [[DueExpiryWarning]]
    /// Ends warnings; `platformEvents` (the `api_binding.expiring` posts of those sent) are
    /// queued in the same transaction.
    func endExpiryWarnings(
        _ ids: [DueExpiryWarning.ID],
        as end: ExpiryWarningEnd,
        error: String?,
        platformEvents: [QueuedPlatformEvent],
        now: Date
    )
        async throws
    func retryExpiryWarnings(_ ids: [DueExpiryWarning.ID], at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws
    /// Computes the expiry of bindings stored before expiry was tracked, and plans their
    /// warnings. Returns how many.
    func planUntrackedExpiries(now: Date) async throws -> Int
    /// How many bindings have how long left, by where their date comes from: the gauge.
    func bindingExpiryCounts(now: Date) async throws -> [ExpiryBucket: Int]
}

/// The outbox of events posted to the platform, delivered and retried like binding updates.
public protocol PlatformEventOutbox: Sendable {
    /// Queues events; one whose id is queued already is left as it is.
    func queuePlatformEvents(_ events: [QueuedPlatformEvent], now: Date) async throws
    func claimPlatformEvents(now: Date, limit: Int, leaseUntil: Date) async throws -> [QueuedPlatformEvent]
    func retryPlatformEvent(id: String, at: Date, attempts: Int, firstAttemptAt: Date, error: String) async throws
    func endPlatformEvent(id: String, as end: BindingUpdateEnd, error: String?, now: Date) async throws
}

/// A gauge's labels: how long a binding's key has left, and where that date comes from.
public struct ExpiryBucket: Sendable, Hashable {
    public var daysLeft: DaysLeft
    /// Nil for a binding whose expiry nothing says (an exchange the catalogue lacks).
    public var source: KeyExpiry.Source?

    public init(daysLeft: DaysLeft, source: KeyExpiry.Source?) {
        self.daysLeft = daysLeft
        self.source = source
    }

    /// Ranges of whole days left, as the metric's `days_left` label.
    public enum DaysLeft: String, Sendable, CaseIterable {
        case expired
        case upTo1 = "1"
        case upTo3 = "3"
        case upTo7 = "7"
        case upTo30 = "30"
        case moreThan30 = "more"
        case never
        case unknown

        /// The range `days` (whole days left, rounded up) falls in.
        public init(days: Int) {
            switch days {
            case ...0: self = .expired
            case 1: self = .upTo1
            case 2...3: self = .upTo3
            case 4...7: self = .upTo7
            case 8...30: self = .upTo30
            default: self = .moreThan30
            }
        }
    }

    /// The bucket of one binding.
    public init(expiry: KeyExpiry?, now: Date) {
        switch expiry {
        case .none: self.init(daysLeft: .unknown, source: nil)
        case .some(let expiry):
            guard let expiresAt = expiry.expiresAt else {
                self.init(daysLeft: .never, source: expiry.source)
                return
            }
            self.init(daysLeft: DaysLeft(days: KeyExpiry.daysLeft(until: expiresAt, now: now)), source: expiry.source)
        }
    }
}
