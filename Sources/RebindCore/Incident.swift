import Foundation

/// Robots of one user and account that halted for the same cause, told about in one message.
public struct Incident: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var accountID: String
    public var exchange: String
    public var cause: Cause
    /// How many robots it lists and what the halted ones leave unmanaged. The robots are rows
    /// of their own (`IncidentRobot`), read only where they are shown, so an event about one
    /// robot costs the same however many the incident lists.
    public var totals: Totals
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

    public struct AffectedRobot: Sendable, Equatable {
        public var id: String
        public var name: String
        public var state: State
        /// Whether the robot trades futures (its new key must be allowed to); nil when the
        /// platform did not say.
        public var futures: Bool?
        /// What the robot leaves unmanaged while halted, as the platform said.
        public var openPositions: Int?
        public var exposure: RobotEvent.Robot.Exposure?

        public enum State: String, Codable, Sendable {
            case paused, stopped, resumed
        }

        public init(
            id: String,
            name: String,
            state: State,
            futures: Bool? = nil,
            openPositions: Int? = nil,
            exposure: RobotEvent.Robot.Exposure? = nil
        ) {
            self.id = id
            self.name = name
            self.state = state
            self.futures = futures
            self.openPositions = openPositions
            self.exposure = exposure
        }
    }

    /// What the halted robots leave unmanaged: their open positions and, per currency, the
    /// sum of their exposure.
    public struct Unmanaged: Sendable, Equatable {
        public var openPositions: Int
        /// Currency and total, largest first (then by currency).
        public var exposure: [(currency: String, amount: Decimal)]

        public var isEmpty: Bool { openPositions == 0 && exposure.allSatisfy { $0.amount == 0 } }

        public static func == (left: Unmanaged, right: Unmanaged) -> Bool {
            left.openPositions == right.openPositions && left.exposure.elementsEqual(right.exposure) { $0 == $1 }
        }
    }

    public var unmanaged: Unmanaged {
        let exposure = totals.exposure.map { (currency: $0.key, amount: $0.value) }
            .sorted { $0.amount != $1.amount ? $0.amount > $1.amount : $0.currency < $1.currency }
        return Unmanaged(openPositions: totals.openPositions, exposure: exposure)
    }

    /// Urgent: halted robots leave positions or money in the market unmanaged. Its notices go
    /// before others (DESIGN §10).
    public var isUrgent: Bool { isOpen && !unmanaged.isEmpty }

    public init(
        id: String,
        userID: String,
        accountID: String,
        exchange: String,
        cause: Cause,
        totals: Totals,
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
        self.totals = totals
        self.reason = reason
        self.openedAt = openedAt
        self.announceAt = announceAt
        self.remindersSent = remindersSent
        self.resolvedAt = resolvedAt
        self.resolution = resolution
    }
}
