import Foundation
import RebindCore
import Testing

@Suite("Incident grouping")
struct IncidentBookTests {
    let book = IncidentBook(policy: IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 2))
    let start = Date(timeIntervalSince1970: 1_795_685_400)

    func event(
        _ type: EventType,
        robot: String,
        account: String = "acc_42",
        text: String = "Pause: Invalid API key operation permission"
    ) -> RobotEvent {
        RobotEvent(
            type: type,
            occurredAt: start,
            user: .init(id: "u_1001"),
            account: .init(id: account, exchange: "binance"),
            robot: .init(id: robot, name: "Robot \(robot)"),
            reason: type.reportsHalt ? .init(text: text) : nil
        )
    }

    @Test("The first halt opens an incident announced after the grouping wait")
    func firstHalt() throws {
        let changes = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start)
        let incident = try #require(changes.incidents.first)
        #expect(incident.id == "e1")
        #expect(incident.robots == [.init(id: "rb_7", name: "Robot rb_7", state: .paused)])
        #expect(incident.isOpen)
        #expect(changes.notices == [.announce(incidentID: "e1", at: start.addingTimeInterval(10))])
    }

    @Test("Halts within the grouping wait join the incident without a new message")
    func groupedHalts() throws {
        let first = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start)
        let second = book.apply(
            event(.robotStopped, robot: "rb_8"),
            eventID: "e2",
            cause: .permissionMissing,
            open: first.incidents,
            now: start.addingTimeInterval(5)
        )
        #expect(second.notices.isEmpty)
        let incident = try #require(second.incidents.first)
        #expect(incident.id == "e1")
        #expect(incident.robots.map(\.id) == ["rb_7", "rb_8"])
        #expect(incident.robots[1].state == .stopped)
    }

    @Test("A halt after the message went out edits that message")
    func lateHaltUpdates() {
        let first = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start)
        let late = book.apply(
            event(.robotPaused, robot: "rb_9"),
            eventID: "e3",
            cause: .permissionMissing,
            open: first.incidents,
            now: start.addingTimeInterval(60)
        )
        #expect(late.notices == [.update(incidentID: "e1")])
    }

    @Test("A repeated halt of the same robot changes nothing")
    func repeatedHalt() {
        let first = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start)
        let again = book.apply(
            event(.robotPaused, robot: "rb_7"),
            eventID: "e2",
            cause: .permissionMissing,
            open: first.incidents,
            now: start.addingTimeInterval(60)
        )
        #expect(again == IncidentChanges())
    }

    @Test("Another cause opens a separate incident")
    func separateCauses() throws {
        let first = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start)
        let other = book.apply(
            event(.robotStopped, robot: "rb_8", text: "Risk Control"),
            eventID: "e2",
            cause: .notKeyRelated,
            open: first.incidents,
            now: start.addingTimeInterval(1)
        )
        #expect(try #require(other.incidents.first).id == "e2")
        #expect(other.notices == [.announce(incidentID: "e2", at: start.addingTimeInterval(11))])
    }

    @Test("The incident resolves when every robot has resumed")
    func resumeAll() throws {
        let now = start.addingTimeInterval(60)
        var open = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start).incidents
        open = book.apply(event(.robotPaused, robot: "rb_8"), eventID: "e2", cause: .permissionMissing, open: open, now: start).incidents

        let one = book.apply(event(.robotResumed, robot: "rb_7"), eventID: "e3", cause: .unknown, open: open, now: now)
        #expect(one.notices == [.update(incidentID: "e1")])
        #expect(try #require(one.incidents.first).isOpen)

        let both = book.apply(event(.robotResumed, robot: "rb_8"), eventID: "e4", cause: .unknown, open: one.incidents, now: now)
        let resolved = try #require(both.incidents.first)
        #expect(!resolved.isOpen)
        #expect(resolved.resolution == .robotsResumed)
        #expect(both.notices == [.resolve(incidentID: "e1")])
    }

    @Test("Resolved before its message went out, an incident is withdrawn")
    func withdrawn() {
        let open = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start).incidents
        let resumed = book.apply(event(.robotResumed, robot: "rb_7"), eventID: "e2", cause: .unknown, open: open, now: start.addingTimeInterval(3))
        #expect(resumed.notices == [.withdraw(incidentID: "e1")])
    }

    @Test("A binding updated on the web resolves the key incidents but not the others")
    func bindingUpdated() {
        var open = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], now: start).incidents
        open +=
            book.apply(event(.robotPaused, robot: "rb_8", text: "Risk Control"), eventID: "e2", cause: .notKeyRelated, open: open, now: start)
            .incidents
        var updated = event(.apiBindingUpdated, robot: "rb_7")
        updated.robot = nil
        let changes = book.apply(updated, eventID: "e3", cause: .unknown, open: open, now: start.addingTimeInterval(60))
        #expect(changes.incidents.map(\.id) == ["e1"])
        #expect(changes.incidents.first?.resolution == .bindingUpdated)
        #expect(changes.notices == [.resolve(incidentID: "e1")])
    }

    @Test("Reminders follow the repeat interval and stop at the limit")
    func reminders() throws {
        var incident = try #require(
            book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .keyExpired, open: [], now: start).incidents.first
        )
        #expect(book.policy.nextReminder(for: incident) == start.addingTimeInterval(10 + 3600))
        incident.remindersSent = 1
        #expect(book.policy.nextReminder(for: incident) == start.addingTimeInterval(10 + 7200))
        incident.remindersSent = 2
        #expect(book.policy.nextReminder(for: incident) == nil)
        incident.remindersSent = 0
        incident.resolvedAt = start
        #expect(book.policy.nextReminder(for: incident) == nil)
    }
}
