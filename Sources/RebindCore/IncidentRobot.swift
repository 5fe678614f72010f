/// One robot of an incident, stored as a row of its own: an event changes one robot, so it
/// reads and writes this row and the incident's totals, never the other robots.
public struct IncidentRobot: Sendable, Equatable {
    public var incidentID: String
    /// Its place in the incident's list, 0 for the first to halt: messages list robots in this
    /// order. A robot keeps its place when it resumes or halts again.
    public var position: Int
    public var robot: Incident.AffectedRobot

    public init(incidentID: String, position: Int, robot: Incident.AffectedRobot) {
        self.incidentID = incidentID
        self.position = position
        self.robot = robot
    }
}
