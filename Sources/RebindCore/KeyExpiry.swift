import Foundation

/// When a bound key stops trading, and where that date comes from (DESIGN §10).
public struct KeyExpiry: Sendable, Equatable {
    /// When the key stops trading; nil for an IP-restricted key, which does not lapse.
    public var expiresAt: Date?
    public var source: Source

    public init(expiresAt: Date?, source: Source) {
        self.expiresAt = expiresAt
        self.source = source
    }

    /// Where a key's expiry comes from, in the order the rules look.
    public enum Source: String, Sendable, Equatable, CaseIterable {
        /// The platform's `account.expires_at`.
        case platform
        /// The exchange said so at the last accepted check (Binance's `tradingAuthorityExpirationTime`).
        case exchange
        /// The key is restricted to IP addresses: it does not lapse.
        case ipRestricted = "ip_restricted"
        /// The catalogue's `trading_validity_days` counted from `bound_at`.
        case catalogue
    }

    /// What is known of a bound key's lifetime.
    public struct Facts: Sendable, Equatable {
        /// The platform's `account.expires_at` for the key it bound.
        public var platformExpiresAt: Date?
        /// The platform's `account.ip_restricted`; nil when it did not say.
        public var platformIPRestricted: Bool?
        /// The exchange's own date, from the last accepted check of this key.
        public var exchangeExpiresAt: Date?
        /// Whether the last accepted check of this key found it IP-restricted; nil when unchecked.
        public var checkedIPRestricted: Bool?
        public var boundAt: Date?
        /// The catalogue's `trading_validity_days` for the key's exchange; nil for one it lacks.
        public var validityDays: Int?

        public init(
            platformExpiresAt: Date? = nil,
            platformIPRestricted: Bool? = nil,
            exchangeExpiresAt: Date? = nil,
            checkedIPRestricted: Bool? = nil,
            boundAt: Date? = nil,
            validityDays: Int? = nil
        ) {
            self.platformExpiresAt = platformExpiresAt
            self.platformIPRestricted = platformIPRestricted
            self.exchangeExpiresAt = exchangeExpiresAt
            self.checkedIPRestricted = checkedIPRestricted
            self.boundAt = boundAt
            self.validityDays = validityDays
        }
    }

    /// The first found of: the platform's date, the exchange's date, no expiry for an
    /// IP-restricted key, the catalogue's days from `bound_at`. Nil when none applies (a
    /// binding with no date of an exchange the catalogue does not list).
    public static func of(_ facts: Facts) -> KeyExpiry? {
        if let date = facts.platformExpiresAt { return KeyExpiry(expiresAt: date, source: .platform) }
        if let date = facts.exchangeExpiresAt { return KeyExpiry(expiresAt: date, source: .exchange) }
        if facts.platformIPRestricted == true || facts.checkedIPRestricted == true {
            return KeyExpiry(expiresAt: nil, source: .ipRestricted)
        }
        guard let boundAt = facts.boundAt, let days = facts.validityDays, days > 0 else { return nil }
        return KeyExpiry(expiresAt: boundAt.addingTimeInterval(TimeInterval(days) * 86_400), source: .catalogue)
    }

    /// Whole days left until `expiry`, rounded up: a 60-day key bound 55 days and a few seconds
    /// ago has 5 days left, one bound just now its full 60. 0 once it has passed.
    public static func daysLeft(until expiry: Date, now: Date) -> Int {
        let remaining = expiry.timeIntervalSince(now)
        guard remaining > 0 else { return 0 }
        return Int((remaining / 86_400).rounded(.up))
    }
}

/// When a key's expiry warnings are due (`REBIND_EXPIRY_WARN_DAYS`, DESIGN §10).
public struct ExpirySchedule: Sendable, Equatable {
    /// Days before expiry at which the user is warned, largest first, each once.
    public let days: [Int]

    /// `days` in any order; repeats and values below 1 are dropped.
    public init(days: [Int] = [7, 3, 1]) {
        self.days = Array(Set(days.filter { $0 > 0 })).sorted(by: >)
    }

    /// One warning: `days` before the key's expiry, due at `dueAt`.
    public struct Warning: Sendable, Equatable {
        public var days: Int
        public var dueAt: Date

        public init(days: Int, dueAt: Date) {
            self.days = days
            self.dueAt = dueAt
        }
    }

    /// The warnings to schedule for a key that expires at `expiresAt`, as of `now`: each
    /// moment still ahead at its time; of the moments already passed, only the latest, due at
    /// once; none once the key has expired (the platform's pause event takes over).
    public func warnings(expiresAt: Date, now: Date) -> [Warning] {
        guard expiresAt > now else { return [] }
        var planned: [Warning] = []
        var latestPassed: Warning?
        for days in self.days {
            let dueAt = expiresAt.addingTimeInterval(-TimeInterval(days) * 86_400)
            if dueAt > now {
                planned.append(Warning(days: days, dueAt: dueAt))
            } else {
                // Days run largest first, so the last passed one is the latest moment.
                latestPassed = Warning(days: days, dueAt: now)
            }
        }
        return (latestPassed.map { [$0] } ?? []) + planned
    }

    /// Whether a warning claimed now is still worth sending: the key has not expired, and no
    /// key incident of its account is open (the guidance says it all).
    public static func stillDue(expiresAt: Date, now: Date, keyIncidentOpen: Bool) -> Bool {
        expiresAt > now && !keyIncidentOpen
    }
}

/// The expiry rules the store applies when a binding changes: the catalogue's validity per
/// exchange and the warning moments.
public struct ExpiryPolicy: Sendable, Equatable {
    /// `trading_validity_days` per exchange id.
    public var validityDays: [String: Int]
    public var schedule: ExpirySchedule

    /// The help page's numbers: a Binance key trades for 60 days, an OKX key for 30.
    public init(validityDays: [String: Int] = ["binance": 60, "okx": 30], schedule: ExpirySchedule = ExpirySchedule()) {
        self.validityDays = validityDays
        self.schedule = schedule
    }

    public init(catalogue: ExchangeCatalogue, schedule: ExpirySchedule = ExpirySchedule()) {
        self.init(validityDays: catalogue.exchanges.mapValues(\.tradingValidityDays), schedule: schedule)
    }

    /// A binding's expiry from what is known of its key.
    public func expiry(exchange: String, facts: KeyExpiry.Facts) -> KeyExpiry? {
        var facts = facts
        facts.validityDays = validityDays[exchange]
        return KeyExpiry.of(facts)
    }
}

/// What a binding row keeps of its key's lifetime, and how each change rewrites it: the
/// platform's word from `api_binding.*` events, the exchange's from the last accepted check.
public struct BindingLifetime: Sendable, Equatable {
    public var boundAt: Date?
    public var platformExpiresAt: Date?
    public var platformIPRestricted: Bool?
    public var checkedExpiresAt: Date?
    public var checkedIPRestricted: Bool?
    /// The last characters of the key the check was of.
    public var checkedKeyHint: String?

    public init(
        boundAt: Date? = nil,
        platformExpiresAt: Date? = nil,
        platformIPRestricted: Bool? = nil,
        checkedExpiresAt: Date? = nil,
        checkedIPRestricted: Bool? = nil,
        checkedKeyHint: String? = nil
    ) {
        self.boundAt = boundAt
        self.platformExpiresAt = platformExpiresAt
        self.platformIPRestricted = platformIPRestricted
        self.checkedExpiresAt = checkedExpiresAt
        self.checkedIPRestricted = checkedIPRestricted
        self.checkedKeyHint = checkedKeyHint
    }

    public var facts: KeyExpiry.Facts {
        KeyExpiry.Facts(
            platformExpiresAt: platformExpiresAt,
            platformIPRestricted: platformIPRestricted,
            exchangeExpiresAt: checkedExpiresAt,
            checkedIPRestricted: checkedIPRestricted,
            boundAt: boundAt
        )
    }

    /// After an `api_binding.created`/`updated` event: the platform's word replaces its
    /// earlier one (absent fields are unknown, not kept). What a check found is kept only
    /// while the event's key hint is that key's (the platform reporting the key Rebind
    /// applied); an event naming another key drops it, since it described the old key.
    public func afterEvent(_ account: RobotEvent.Account, boundAt: Date) -> BindingLifetime {
        var next = BindingLifetime(
            boundAt: boundAt,
            platformExpiresAt: account.expiresAt,
            platformIPRestricted: account.ipRestricted
        )
        if Self.sameKey(account.apiKeyHint, checkedKeyHint) {
            next.checkedExpiresAt = checkedExpiresAt
            next.checkedIPRestricted = checkedIPRestricted
            next.checkedKeyHint = checkedKeyHint
        }
        return next
    }

    /// A key applied through Rebind: bound now, with what its check found. The platform's
    /// date and IP restriction described the old key, so they go until its next event.
    public static func applied(keyHint: String, verdict: KeyVerdict, at now: Date) -> BindingLifetime {
        BindingLifetime(
            boundAt: now,
            checkedExpiresAt: verdict.tradingExpiresAt,
            checkedIPRestricted: verdict.ipRestricted,
            checkedKeyHint: keyHint
        )
    }

    /// Whether two key hints (last characters, of different lengths) can be of one key. An
    /// event with no hint says nothing against it.
    static func sameKey(_ eventHint: String?, _ checkedHint: String?) -> Bool {
        guard let checkedHint, !checkedHint.isEmpty else { return false }
        guard let eventHint, !eventHint.isEmpty else { return true }
        return eventHint.hasSuffix(checkedHint) || checkedHint.hasSuffix(eventHint)
    }
}

/// A binding's expiry and the warnings to schedule after its key changed.
public struct ExpiryPlan: Sendable, Equatable {
    public var expiry: KeyExpiry?
    public var warnings: [ExpirySchedule.Warning]

    public init(expiry: KeyExpiry?, warnings: [ExpirySchedule.Warning]) {
        self.expiry = expiry
        self.warnings = warnings
    }
}

extension ExpiryPolicy {
    /// The binding's expiry and its warnings from now on. `ended` are the account's warnings
    /// already sent (or skipped), with the expiry each was for: one for the same expiry is not
    /// scheduled again (the platform repeating an update does not repeat a warning), while a
    /// new expiry — a new key — starts afresh.
    public func plan(exchange: String, lifetime: BindingLifetime, ended: [(days: Int, expiresAt: Date)], now: Date) -> ExpiryPlan {
        let expiry = expiry(exchange: exchange, facts: lifetime.facts)
        guard let expiresAt = expiry?.expiresAt else { return ExpiryPlan(expiry: expiry, warnings: []) }
        let warnings = schedule.warnings(expiresAt: expiresAt, now: now).filter { warning in
            !ended.contains { $0.days == warning.days && $0.expiresAt == expiresAt }
        }
        return ExpiryPlan(expiry: expiry, warnings: warnings)
    }
}
