import Foundation

/// Robots of one user and account that halted for the same cause, told about in one message.
public struct Incident: Codable, Sendable, Equatable {
    public var id: String
    public var userID: String
    public var accountID: String
    public var exchange: String
    public var cause: Cause
    public var robots: [AffectedRobot]
    /// What the platform reported for the latest halt, shown to the user as it was written.
    public var reason: RobotEvent.Reason
    public var openedAt: Date
    /// When the first message goes out: the end of the grouping wait.
    public var announceAt: Date
    public var remindersSent: Int
    public var resolvedAt: Date?
    public var resolution: Resolution?

    public var isOpen: Bool { resolvedAt == nil }

    public enum Resolution: String, Codable, Sendable {
        case robotsResumed = "robots_resumed"
        case bindingUpdated = "binding_updated"
    }

    public struct AffectedRobot: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var state: State
        /// Whether the robot trades futures (its new key must be allowed to); nil when the
        /// platform did not say.
        public var futures: Bool?

        public enum State: String, Codable, Sendable {
            case paused, stopped, resumed
        }

        public init(id: String, name: String, state: State, futures: Bool? = nil) {
            self.id = id
            self.name = name
            self.state = state
            self.futures = futures
        }
    }

    public init(
        id: String,
        userID: String,
        accountID: String,
        exchange: String,
        cause: Cause,
        robots: [AffectedRobot],
        reason: RobotEvent.Reason,
        openedAt: Date,
        announceAt: Date,
        remindersSent: Int = 0,
        resolvedAt: Date? = nil,
        resolution: Resolution? = nil
    ) {
        self.id = id
        self.userID = userID
        self.accountID = accountID
        self.exchange = exchange
        self.cause = cause
        self.robots = robots
        self.reason = reason
        self.openedAt = openedAt
        self.announceAt = announceAt
        self.remindersSent = remindersSent
        self.resolvedAt = resolvedAt
        self.resolution = resolution
    }
}
