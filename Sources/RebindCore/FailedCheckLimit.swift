import Foundation

/// At most a few failed key checks per account per hour, so a chat cannot be used to probe
/// an exchange with guessed keys or to get the platform's IP banned.
public struct FailedCheckLimit: Sendable, Equatable {
    public var maxFailures: Int
    public var window: TimeInterval

    public init(maxFailures: Int = 5, window: TimeInterval = 3600) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Nil when a check may run now; otherwise when the next one may.
    public func nextAllowed(failures: [Date], now: Date) -> Date? {
        let recent = failures.filter { now.timeIntervalSince($0) < window }.sorted()
        guard recent.count >= maxFailures else { return nil }
        return recent[recent.count - maxFailures].addingTimeInterval(window)
    }
}
