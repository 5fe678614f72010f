import Foundation

/// Exponential backoff with jitter, bounded in time: retries go on until `giveUpAfter` since
/// the first attempt (the last one at that bound at the latest), then the message is
/// dead-lettered.
public struct RetryPolicy: Sendable, Equatable {
    public var initialDelay: TimeInterval
    public var maximumDelay: TimeInterval
    public var giveUpAfter: TimeInterval

    public init(initialDelay: TimeInterval = 1, maximumDelay: TimeInterval = 300, giveUpAfter: TimeInterval = 3600) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.giveUpAfter = giveUpAfter
    }

    /// When to try again after `attempts` failures, or nil to give up.
    /// - Parameter jitter: a number in 0...1 (random in production, fixed in tests).
    public func nextAttempt(attempts: Int, firstAttemptAt: Date, now: Date, jitter: Double) -> Date? {
        let deadline = firstAttemptAt.addingTimeInterval(giveUpAfter)
        guard now < deadline else { return nil }
        let exponent = min(max(attempts - 1, 0), 30)
        let ceiling = min(maximumDelay, initialDelay * pow(2, Double(exponent)))
        // "Equal jitter": a random half spreads a crowd of retries (after an outage every
        // message fails at once), the fixed half keeps the backoff growing.
        let delay = ceiling / 2 + ceiling / 2 * min(max(jitter, 0), 1)
        // The last try is at the deadline rather than a backoff step short of it.
        return min(now.addingTimeInterval(delay), deadline)
    }
}

/// What an outbox does with an item whose delivery failed: try again later, or give up.
/// Both outboxes (notices, binding updates) decide by it.
public enum OutboxFailure: Sendable, Equatable {
    /// Due again at `at`; `attempts` counts the failures so far.
    case retry(at: Date, attempts: Int, firstAttemptAt: Date)
    /// Given up after `attempts` failures: dead-lettered.
    case deadLetter(attempts: Int)
}

extension RetryPolicy {
    /// The next step after one more failure of an item that failed `previousAttempts` times
    /// before (the first at `firstAttemptAt`, nil if this was the first). A `retryAfter` the
    /// receiver asked for is honoured — no sooner — but never past the time limit.
    public func afterFailure(
        previousAttempts: Int,
        firstAttemptAt: Date?,
        retryAfter: TimeInterval? = nil,
        now: Date,
        jitter: Double
    ) -> OutboxFailure {
        let attempts = previousAttempts + 1
        let first = firstAttemptAt ?? now
        guard var next = nextAttempt(attempts: attempts, firstAttemptAt: first, now: now, jitter: jitter) else {
            return .deadLetter(attempts: attempts)
        }
        if let retryAfter {
            next = min(max(next, now.addingTimeInterval(retryAfter)), first.addingTimeInterval(giveUpAfter))
        }
        return .retry(at: next, attempts: attempts, firstAttemptAt: first)
    }
}
