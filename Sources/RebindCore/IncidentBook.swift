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

/// The incidents an event creates, changes or resolves, and the notices that follow.
public struct IncidentChanges: Sendable, Equatable {
    public var incidents: [Incident] = []
    public var notices: [IncidentNotice] = []

    public init(incidents: [Incident] = [], notices: [IncidentNotice] = []) {
        self.incidents = incidents
        self.notices = notices
    }
}

/// The pure grouping rules. Given an event, its cause and the open incidents of its user and
/// account, it says what changes; storing and sending are done elsewhere.
public struct IncidentBook: Sendable {
    public var policy: IncidentPolicy

    public init(policy: IncidentPolicy = IncidentPolicy()) {
        self.policy = policy
    }

    /// - Parameters:
    ///   - eventID: the event's idempotency key; a new incident takes it as its id.
    ///   - open: the open incidents of the event's user and account.
    public func apply(
        _ event: RobotEvent,
        eventID: String,
        cause: Cause,
        open: [Incident],
        now: Date
    ) -> IncidentChanges {
        switch event.type {
        case .robotPaused, .robotStopped:
            return halt(event, eventID: eventID, cause: cause, open: open, now: now)
        case .robotResumed:
            guard let robot = event.robot else { return IncidentChanges() }
            return resume(robotID: robot.id, open: open, now: now)
        case .apiBindingUpdated:
            return bindingUpdated(open: open, now: now)
        case .apiBindingCreated, .apiBindingDeleted:
            return IncidentChanges()
        }
    }

    func halt(_ event: RobotEvent, eventID: String, cause: Cause, open: [Incident], now: Date) -> IncidentChanges {
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
            if let index = incident.robots.firstIndex(where: { $0.id == robot.id }) {
                guard incident.robots[index] != affected else { return IncidentChanges() }
                incident.robots[index] = affected
            } else {
                incident.robots.append(affected)
            }
            incident.reason = reason
            // Before the first message goes out it will show the whole group anyway.
            let notices: [IncidentNotice] = now < incident.announceAt ? [] : [.update(incidentID: incident.id)]
            return IncidentChanges(incidents: [incident], notices: notices)
        }

        let announceAt = now.addingTimeInterval(policy.groupWait)
        let incident = Incident(
            id: eventID,
            userID: event.user.id,
            accountID: event.account.id,
            exchange: event.account.exchange,
            cause: cause,
            robots: [affected],
            reason: reason,
            openedAt: now,
            announceAt: announceAt
        )
        return IncidentChanges(incidents: [incident], notices: [.announce(incidentID: eventID, at: announceAt)])
    }

    func resume(robotID: String, open: [Incident], now: Date) -> IncidentChanges {
        var changes = IncidentChanges()
        for var incident in open {
            guard let index = incident.robots.firstIndex(where: { $0.id == robotID }),
                incident.robots[index].state != .resumed
            else { continue }
            incident.robots[index].state = .resumed
            if incident.robots.allSatisfy({ $0.state == .resumed }) {
                changes.notices.append(resolve(&incident, as: .robotsResumed, now: now))
            } else if now >= incident.announceAt {
                changes.notices.append(.update(incidentID: incident.id))
            }
            changes.incidents.append(incident)
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
