import Foundation

/// The book applied to a batch of events in order, as a store that writes a batch at once
/// needs it: each event sees the open incidents and robot rows as the events before it in the
/// batch left them, and what the batch changed comes out once, in its final state, ready to be
/// written in a few multi-row statements instead of a few statements per event.
///
/// Give it the open incidents of every user and account in the batch and the rows they hold
/// of the batch's robots, as stored before the batch; then `apply` each event in order.
public struct IncidentBatch: Sendable {
    public struct Account: Hashable, Sendable {
        public var userID: String
        public var accountID: String

        public init(userID: String, accountID: String) {
            self.userID = userID
            self.accountID = accountID
        }
    }

    /// A notice and the time of the event that caused it.
    public struct QueuedNotice: Sendable, Equatable {
        public var notice: IncidentNotice
        public var now: Date
    }

    let book: IncidentBook
    /// Each account's open incidents, oldest first.
    private var open: [Account: [Incident]] = [:]
    /// Robot rows by incident id, then robot id.
    private var rows: [String: [String: IncidentRobot]] = [:]
    /// Changed incidents by id, and the order in which they first changed.
    private var changedIncidents: [String: Incident] = [:]
    private var incidentOrder: [String] = []
    /// Incidents that were stored before the batch (updates, not inserts).
    private var storedIncidentIDs: Set<String> = []
    private var changedRows: [String: IncidentRobot] = [:]
    private var rowOrder: [String] = []
    public private(set) var notices: [QueuedNotice] = []

    /// - Parameters:
    ///   - open: the open incidents of the batch's accounts, as stored.
    ///   - rows: the rows those incidents hold of the batch's robots, as stored.
    public init(book: IncidentBook, open: [Incident], rows: [IncidentRobot]) {
        self.book = book
        for incident in open.sorted(by: { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }) {
            self.open[Account(userID: incident.userID, accountID: incident.accountID), default: []].append(incident)
            storedIncidentIDs.insert(incident.id)
        }
        for row in rows {
            self.rows[row.incidentID, default: [:]][row.robot.id] = row
        }
    }

    /// Applies one event of the batch, after those before it.
    @discardableResult
    public mutating func apply(_ event: RobotEvent, eventID: String, cause: Cause, now: Date) -> IncidentChanges {
        let account = Account(userID: event.user.id, accountID: event.account.id)
        let current = open[account] ?? []
        let stored = event.robot.map { robot in current.compactMap { rows[$0.id]?[robot.id] } } ?? []
        let changes = book.apply(event, eventID: eventID, cause: cause, open: current, stored: stored, now: now)

        for incident in changes.incidents {
            var incidents = open[account] ?? []
            if let index = incidents.firstIndex(where: { $0.id == incident.id }) {
                if incident.isOpen { incidents[index] = incident } else { incidents.remove(at: index) }
            } else if incident.isOpen {
                incidents.append(incident)
            }
            open[account] = incidents
            if changedIncidents.updateValue(incident, forKey: incident.id) == nil { incidentOrder.append(incident.id) }
        }
        for row in changes.robots {
            rows[row.incidentID, default: [:]][row.robot.id] = row
            let key = "\(row.incidentID)\u{0}\(row.robot.id)"
            if changedRows.updateValue(row, forKey: key) == nil { rowOrder.append(key) }
        }
        notices += changes.notices.map { QueuedNotice(notice: $0, now: now) }
        return changes
    }

    /// Every incident the batch changed, each once in its final state: those stored before the
    /// batch first, then the new ones in the order they opened. Written in this order, an
    /// incident resolved in the batch leaves the one-open-incident-per-cause index before a new
    /// one of its cause takes its place.
    public var incidents: [Incident] {
        let changed = incidentOrder.compactMap { changedIncidents[$0] }
        return changed.filter { storedIncidentIDs.contains($0.id) } + changed.filter { !storedIncidentIDs.contains($0.id) }
    }

    /// Every robot row the batch wrote, each once in its final state.
    public var robots: [IncidentRobot] {
        rowOrder.compactMap { changedRows[$0] }
    }
}
