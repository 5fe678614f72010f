import Foundation

/// Alertmanager's grouping model: wait briefly so a burst becomes one message, then remind
/// at a repeat interval a bounded number of times.
public struct IncidentPolicy: Sendable, Equatable {
    public var groupWait: TimeInterval
    public var repeatInterval: TimeInterval
    public var maxReminders: Int
    /// Urgent notices go first, but a notice overdue this long goes before them, so a purge
    /// of urgent incidents cannot starve the rest (`REBIND_URGENT_MAX_WAIT_SECONDS`).
    public var urgentMaxWait: TimeInterval

    public init(groupWait: TimeInterval = 10, repeatInterval: TimeInterval = 24 * 3600, maxReminders: Int = 3, urgentMaxWait: TimeInterval = 600) {
        self.groupWait = groupWait
        self.repeatInterval = repeatInterval
        self.maxReminders = maxReminders
        self.urgentMaxWait = urgentMaxWait
    }

    /// When the next reminder of an open incident is due, or nil when none is left.
    public func nextReminder(for incident: Incident) -> Date? {
        guard incident.isOpen, incident.remindersSent < maxReminders else { return nil }
        return incident.announceAt.addingTimeInterval(repeatInterval * Double(incident.remindersSent + 1))
    }
}
