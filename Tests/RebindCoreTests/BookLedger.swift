import Foundation
import RebindCore

/// What a store keeps between events, for the book's tests: each event gets the open
/// incidents and the rows they hold of its robot, as a store gives them, and its changes are
/// kept for the next.
struct BookLedger {
    let book: IncidentBook
    var incidents: [String: Incident] = [:]
    var rows: [String: [String: IncidentRobot]] = [:]

    init(book: IncidentBook) {
        self.book = book
    }

    var open: [Incident] {
        incidents.values.filter(\.isOpen).sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }
    }

    /// The rows the open incidents hold of a robot.
    func stored(robotID: String?) -> [IncidentRobot] {
        guard let robotID else { return [] }
        return open.compactMap { rows[$0.id]?[robotID] }
    }

    @discardableResult
    mutating func apply(_ event: RobotEvent, eventID: String, cause: Cause, now: Date) -> IncidentChanges {
        let changes = book.apply(event, eventID: eventID, cause: cause, open: open, stored: stored(robotID: event.robot?.id), now: now)
        for incident in changes.incidents { incidents[incident.id] = incident }
        for row in changes.robots { rows[row.incidentID, default: [:]][row.robot.id] = row }
        return changes
    }

    /// An incident's robots in halt order.
    func robots(of incidentID: String) -> [Incident.AffectedRobot] {
        (rows[incidentID] ?? [:]).values.sorted { $0.position < $1.position }.map(\.robot)
    }
}
