/// The kinds of robot and binding events the platform posts to `POST /v1/events`.
public enum EventType: String, Codable, Sendable, CaseIterable, Hashable {
    case robotPaused = "robot.paused"
    case robotStopped = "robot.stopped"
    case robotResumed = "robot.resumed"
    case apiBindingUpdated = "api_binding.updated"
    case apiBindingCreated = "api_binding.created"
    /// The user removed the binding: its key (and what Rebind kept of it) is forgotten; its open
    /// incidents stay until resolved.
    case apiBindingDeleted = "api_binding.deleted"

    /// Paused and stopped events carry a robot and the reason it halted.
    public var reportsHalt: Bool { self == .robotPaused || self == .robotStopped }
}
