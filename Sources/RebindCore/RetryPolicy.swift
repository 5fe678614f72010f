import Foundation

/// Exponential backoff with full jitter, bounded in time: after `giveUpAfter` since the first
/// attempt, a message is dead-lettered instead of retried.
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
        let exponent = min(max(attempts - 1, 0), 30)
        let ceiling = min(maximumDelay, initialDelay * pow(2, Double(exponent)))
        // Full jitter spreads a crowd of retries; half the ceiling is kept so progress is made.
        let delay = ceiling / 2 + ceiling / 2 * min(max(jitter, 0), 1)
        let next = now.addingTimeInterval(delay)
        return next.timeIntervalSince(firstAttemptAt) > giveUpAfter ? nil : next
    }
}
