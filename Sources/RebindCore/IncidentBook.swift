import Foundation

/// What an incident change asks the messaging side to do.
public enum IncidentNotice: Sendable, Equatable {
    /// Send the incident's first message once the grouping wait is over.
    case announce(incidentID: String, at: Date)
    /// The incident changed after its message went out: edit that message.
    case update(incidentID: String)
    /// The incident is resolved: edit its message to say so.
    case resolve(incidentID: String)
    /// Resolved before its first message went out: send nothing.
    case withdraw(incidentID: String)

    public var incidentID: String {
        switch self {
        case .announce(let id, _), .update(let id), .resolve(let id), .withdraw(let id): id
        }
    }
}

/// The incidents an event creates, changes or resolves, the robot rows it writes, and the
/// notices that follow.
public struct IncidentChanges: Sendable, Equatable {
    /// Incidents to save, their totals up to date.
    public var incidents: [Incident] = []
    /// Robot rows to save (insert or replace): the event's robot, at most one row per incident
    /// and only of an incident in `incidents` (a store may save the two together).
    public var robots: [IncidentRobot] = []
    public var notices: [IncidentNotice] = []

    public init(incidents: [Incident] = [], robots: [IncidentRobot] = [], notices: [IncidentNotice] = []) {
        self.incidents = incidents
        self.robots = robots
        self.notices = notices
    }
}

/// The pure grouping rules. Given an event, its cause, the open incidents of its user and
/// account and the rows they hold of the event's robot, it says what changes; storing and
/// sending are done elsewhere. It never needs an incident's other robots: their totals say
/// enough, so an event costs the same for an incident of 5 robots or 500.
public struct IncidentBook: Sendable {
    public var policy: IncidentPolicy

    public init(policy: IncidentPolicy = IncidentPolicy()) {
        self.policy = policy
    }

    /// - Parameters:
    ///   - eventID: the event's idempotency key; a new incident takes it as its id.
    ///   - open: the open incidents of the event's user and account.
    ///   - stored: the rows those incidents hold of the event's robot (none for an event
    ///     without a robot).
    public func apply(
        _ event: RobotEvent,
        eventID: String,
        cause: Cause,
        open: [Incident],
        stored: [IncidentRobot],
        now: Date
    ) -> IncidentChanges {
        switch event.type {
        case .robotPaused, .robotStopped:
            return halt(event, eventID: eventID, cause: cause, open: open, stored: stored, now: now)
        case .robotResumed:
            guard let robot = event.robot else { return IncidentChanges() }
            return resume(robotID: robot.id, open: open, stored: stored, now: now)
        case .apiBindingUpdated:
            return bindingUpdated(open: open, now: now)
        case .apiBindingCreated, .apiBindingDeleted:
            return IncidentChanges()
        }
    }

    func halt(_ event: RobotEvent, eventID: String, cause: Cause, open: [Incident], stored: [IncidentRobot], now: Date) -> IncidentChanges {
        guard let robot = event.robot, let reason = event.reason else { return IncidentChanges() }
        let state: Incident.AffectedRobot.State = event.type == .robotStopped ? .stopped : .paused
        let affected = Incident.AffectedRobot(
            id: robot.id,
            name: robot.name,
            state: state,
            futures: robot.market.map { $0 == .futures },
            openPositions: robot.openPositions,
            exposure: robot.exposure
        )

        if var incident = open.first(where: { $0.cause == cause && $0.userID == event.user.id && $0.accountID == event.account.id }) {
            let row: IncidentRobot
            if var existing = stored.first(where: { $0.incidentID == incident.id && $0.robot.id == robot.id }) {
                guard existing.robot != affected else { return IncidentChanges() }
                incident.totals.replace(existing.robot, with: affected)
                existing.robot = affected
                row = existing
            } else {
                row = IncidentRobot(incidentID: incident.id, position: incident.totals.robots, robot: affected)
                incident.totals.replace(nil, with: affected)
            }
            incident.reason = reason
            // Before the first message goes out it will show the whole group anyway.
            let notices: [IncidentNotice] = now < incident.announceAt ? [] : [.update(incidentID: incident.id)]
            return IncidentChanges(incidents: [incident], robots: [row], notices: notices)
        }

        let announceAt = now.addingTimeInterval(policy.groupWait)
        var totals = Incident.Totals()
        totals.replace(nil, with: affected)
        let incident = Incident(
            id: eventID,
            userID: event.user.id,
            accountID: event.account.id,
            exchange: event.account.exchange,
            cause: cause,
            totals: totals,
            reason: reason,
            openedAt: now,
            announceAt: announceAt
        )
        return IncidentChanges(
            incidents: [incident],
            robots: [IncidentRobot(incidentID: eventID, position: 0, robot: affected)],
            notices: [.announce(incidentID: eventID, at: announceAt)]
        )
    }

    /// Every open incident still counting the robot as halted counts it resumed; one with no
    /// halted robot left is resolved.
    func resume(robotID: String, open: [Incident], stored: [IncidentRobot], now: Date) -> IncidentChanges {
        var changes = IncidentChanges()
        for var incident in open {
            guard var row = stored.first(where: { $0.incidentID == incident.id && $0.robot.id == robotID }),
                row.robot.state != .resumed
            else { continue }
            let before = row.robot
            row.robot.state = .resumed
            incident.totals.replace(before, with: row.robot)
            if incident.totals.halted == 0 {
                changes.notices.append(resolve(&incident, as: .robotsResumed, now: now))
            } else if now >= incident.announceAt {
                changes.notices.append(.update(incidentID: incident.id))
            }
            changes.incidents.append(incident)
            changes.robots.append(row)
        }
        return changes
    }

    /// The user fixed the key on the web. Incidents that a key cannot fix (risk control,
    /// investment limits) stay open: a new key does not bring those robots back.
    func bindingUpdated(open: [Incident], now: Date) -> IncidentChanges {
        var changes = IncidentChanges()
        for var incident in open where incident.cause.isKeyRelated {
            changes.notices.append(resolve(&incident, as: .bindingUpdated, now: now))
            changes.incidents.append(incident)
        }
        return changes
    }

    func resolve(_ incident: inout Incident, as resolution: Incident.Resolution, now: Date) -> IncidentNotice {
        incident.resolvedAt = now
        incident.resolution = resolution
        return now < incident.announceAt ? .withdraw(incidentID: incident.id) : .resolve(incidentID: incident.id)
    }
}
