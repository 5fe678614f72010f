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
        text: String = "Pause: Invalid API key operation permission",
        market: RobotEvent.Robot.Market? = nil,
        openPositions: Int? = nil,
        exposure: RobotEvent.Robot.Exposure? = nil
    ) -> RobotEvent {
        RobotEvent(
            type: type,
            occurredAt: start,
            user: .init(id: "u_1001"),
            account: .init(id: account, exchange: "binance"),
            robot: .init(id: robot, name: "Robot \(robot)", market: market, openPositions: openPositions, exposure: exposure),
            reason: type.reportsHalt ? .init(text: text) : nil
        )
    }

    func incident(_ id: String, cause: Cause = .permissionMissing, totals: Incident.Totals, openedAt: Date? = nil) -> Incident {
        let opened = openedAt ?? start
        return Incident(
            id: id,
            userID: "u_1001",
            accountID: "acc_42",
            exchange: "binance",
            cause: cause,
            totals: totals,
            reason: .init(text: "Pause: Invalid API key operation permission"),
            openedAt: opened,
            announceAt: opened.addingTimeInterval(10)
        )
    }

    func robot(_ id: String, _ state: Incident.AffectedRobot.State) -> Incident.AffectedRobot {
        .init(id: id, name: "Robot \(id)", state: state)
    }

    @Test("The first halt opens an incident announced after the grouping wait, with the robot's row")
    func firstHalt() {
        let changes = book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, open: [], stored: [], now: start)
        #expect(
            changes
                == IncidentChanges(
                    incidents: [incident("e1", totals: .init(robots: 1, halted: 1))],
                    robots: [IncidentRobot(incidentID: "e1", position: 0, robot: robot("rb_7", .paused))],
                    notices: [.announce(incidentID: "e1", at: start.addingTimeInterval(10))]
                )
        )
    }

    @Test("Halts within the grouping wait join the incident as new rows, without a new message")
    func groupedHalts() {
        let open = incident("e1", totals: .init(robots: 1, halted: 1))
        let second = book.apply(
            event(.robotStopped, robot: "rb_8"),
            eventID: "e2",
            cause: .permissionMissing,
            open: [open],
            stored: [],
            now: start.addingTimeInterval(5)
        )
        #expect(
            second
                == IncidentChanges(
                    incidents: [incident("e1", totals: .init(robots: 2, halted: 2))],
                    robots: [IncidentRobot(incidentID: "e1", position: 1, robot: robot("rb_8", .stopped))]
                )
        )
    }

    @Test("A halt joining an incident of 500 robots needs only the totals: the new robot is number 501")
    func largeIncident() {
        let open = incident("e1", totals: .init(robots: 500, halted: 480, haltedFutures: 7, openPositions: 12, exposure: ["USDT": 900]))
        let changes = book.apply(
            event(.robotPaused, robot: "rb_new", market: .futures, openPositions: 1, exposure: .init(amount: "100", currency: "USDT")),
            eventID: "e2",
            cause: .permissionMissing,
            open: [open],
            stored: [],
            now: start.addingTimeInterval(60)
        )
        let robot = Incident.AffectedRobot(
            id: "rb_new",
            name: "Robot rb_new",
            state: .paused,
            futures: true,
            openPositions: 1,
            exposure: .init(amount: "100", currency: "USDT")
        )
        #expect(
            changes
                == IncidentChanges(
                    incidents: [
                        incident("e1", totals: .init(robots: 501, halted: 481, haltedFutures: 8, openPositions: 13, exposure: ["USDT": 1000]))
                    ],
                    robots: [IncidentRobot(incidentID: "e1", position: 500, robot: robot)],
                    notices: [.update(incidentID: "e1")]
                )
        )
    }

    @Test("A halt after the message went out edits that message")
    func lateHaltUpdates() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        let late = ledger.apply(event(.robotPaused, robot: "rb_9"), eventID: "e3", cause: .permissionMissing, now: start.addingTimeInterval(60))
        #expect(late.notices == [.update(incidentID: "e1")])
    }

    @Test("A repeated halt of the same robot changes nothing")
    func repeatedHalt() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        let again = ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e2", cause: .permissionMissing, now: start.addingTimeInterval(60))
        #expect(again == IncidentChanges())
    }

    @Test("Another cause opens a separate incident")
    func separateCauses() throws {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        let other = ledger.apply(
            event(.robotStopped, robot: "rb_8", text: "Risk Control"),
            eventID: "e2",
            cause: .notKeyRelated,
            now: start.addingTimeInterval(1)
        )
        #expect(try #require(other.incidents.first).id == "e2")
        #expect(other.robots == [IncidentRobot(incidentID: "e2", position: 0, robot: robot("rb_8", .stopped))])
        #expect(other.notices == [.announce(incidentID: "e2", at: start.addingTimeInterval(11))])
    }

    @Test("A resume counts the robot out of the halted; the incident resolves when none is left halted")
    func resumeAll() {
        let now = start.addingTimeInterval(60)
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        ledger.apply(event(.robotPaused, robot: "rb_8"), eventID: "e2", cause: .permissionMissing, now: start)

        let one = ledger.apply(event(.robotResumed, robot: "rb_7"), eventID: "e3", cause: .unknown, now: now)
        #expect(
            one
                == IncidentChanges(
                    incidents: [incident("e1", totals: .init(robots: 2, halted: 1))],
                    robots: [IncidentRobot(incidentID: "e1", position: 0, robot: robot("rb_7", .resumed))],
                    notices: [.update(incidentID: "e1")]
                )
        )

        let both = ledger.apply(event(.robotResumed, robot: "rb_8"), eventID: "e4", cause: .unknown, now: now)
        var resolved = incident("e1", totals: .init(robots: 2, halted: 0))
        resolved.resolvedAt = now
        resolved.resolution = .robotsResumed
        #expect(
            both
                == IncidentChanges(
                    incidents: [resolved],
                    robots: [IncidentRobot(incidentID: "e1", position: 1, robot: robot("rb_8", .resumed))],
                    notices: [.resolve(incidentID: "e1")]
                )
        )
        #expect(ledger.robots(of: "e1") == [robot("rb_7", .resumed), robot("rb_8", .resumed)])
    }

    @Test("A resume of a robot the open incidents do not hold as halted changes nothing")
    func resumeUnknown() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        #expect(ledger.apply(event(.robotResumed, robot: "rb_9"), eventID: "e2", cause: .unknown, now: start) == IncidentChanges())
        ledger.apply(event(.robotPaused, robot: "rb_8"), eventID: "e3", cause: .permissionMissing, now: start)
        ledger.apply(event(.robotResumed, robot: "rb_8"), eventID: "e4", cause: .unknown, now: start)
        #expect(ledger.apply(event(.robotResumed, robot: "rb_8"), eventID: "e5", cause: .unknown, now: start) == IncidentChanges())
    }

    @Test("A robot in the open incidents of two causes is resumed in both")
    func resumeInEveryIncident() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        ledger.apply(event(.robotPaused, robot: "rb_8"), eventID: "e2", cause: .permissionMissing, now: start)
        ledger.apply(event(.robotStopped, robot: "rb_7", text: "Risk Control"), eventID: "e3", cause: .notKeyRelated, now: start)
        let resumed = ledger.apply(event(.robotResumed, robot: "rb_7"), eventID: "e4", cause: .unknown, now: start.addingTimeInterval(60))
        #expect(resumed.incidents.map(\.id) == ["e1", "e3"])
        #expect(resumed.incidents.map(\.totals.halted) == [1, 0])
        #expect(resumed.robots.map(\.incidentID) == ["e1", "e3"])
        #expect(resumed.notices == [.update(incidentID: "e1"), .resolve(incidentID: "e3")])
    }

    @Test("A resumed robot that halts again counts again and keeps its place in the list")
    func rePause() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7", openPositions: 2), eventID: "e1", cause: .permissionMissing, now: start)
        ledger.apply(event(.robotPaused, robot: "rb_8"), eventID: "e2", cause: .permissionMissing, now: start)
        ledger.apply(event(.robotResumed, robot: "rb_7"), eventID: "e3", cause: .unknown, now: start.addingTimeInterval(60))
        #expect(ledger.incidents["e1"]?.totals == .init(robots: 2, halted: 1))

        let again = ledger.apply(
            event(.robotStopped, robot: "rb_7", openPositions: 2),
            eventID: "e4",
            cause: .permissionMissing,
            now: start.addingTimeInterval(120)
        )
        var stopped = robot("rb_7", .stopped)
        stopped.openPositions = 2
        #expect(
            again
                == IncidentChanges(
                    incidents: [incident("e1", totals: .init(robots: 2, halted: 2, openPositions: 2))],
                    robots: [IncidentRobot(incidentID: "e1", position: 0, robot: stopped)],
                    notices: [.update(incidentID: "e1")]
                )
        )
    }

    @Test("A robot moving from paused to stopped with new figures changes the totals by its own share only")
    func robotChanges() throws {
        var ledger = BookLedger(book: book)
        ledger.apply(
            event(.robotPaused, robot: "rb_7", market: .futures, openPositions: 2, exposure: .init(amount: "100.5", currency: "USDT")),
            eventID: "e1",
            cause: .permissionMissing,
            now: start
        )
        ledger.apply(
            event(.robotPaused, robot: "rb_8", openPositions: 1, exposure: .init(amount: "0.25", currency: "BTC")),
            eventID: "e2",
            cause: .permissionMissing,
            now: start
        )
        #expect(
            ledger.incidents["e1"]?.totals
                == .init(robots: 2, halted: 2, haltedFutures: 1, openPositions: 3, exposure: ["USDT": Decimal(string: "100.5")!, "BTC": 0.25])
        )

        let moved = ledger.apply(
            event(.robotStopped, robot: "rb_7", market: .spot, openPositions: 5, exposure: .init(amount: "1", currency: "BTC")),
            eventID: "e3",
            cause: .permissionMissing,
            now: start.addingTimeInterval(60)
        )
        let row = try #require(moved.robots.first)
        #expect(row.position == 0)
        #expect(row.robot.state == .stopped)
        // The USDT sum fell to 0 and is left out.
        #expect(
            moved.incidents.first?.totals
                == .init(robots: 2, halted: 2, haltedFutures: 0, openPositions: 6, exposure: ["BTC": Decimal(string: "1.25")!])
        )
        #expect(moved.notices == [.update(incidentID: "e1")])
    }

    @Test("Resolved before its message went out, an incident is withdrawn")
    func withdrawn() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        let resumed = ledger.apply(event(.robotResumed, robot: "rb_7"), eventID: "e2", cause: .unknown, now: start.addingTimeInterval(3))
        #expect(resumed.notices == [.withdraw(incidentID: "e1")])
    }

    @Test("A binding updated on the web resolves the key incidents but not the others, and writes no robot")
    func bindingUpdated() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .permissionMissing, now: start)
        ledger.apply(event(.robotPaused, robot: "rb_8", text: "Risk Control"), eventID: "e2", cause: .notKeyRelated, now: start)
        var updated = event(.apiBindingUpdated, robot: "rb_7")
        updated.robot = nil
        let changes = ledger.apply(updated, eventID: "e3", cause: .unknown, now: start.addingTimeInterval(60))
        #expect(changes.incidents.map(\.id) == ["e1"])
        #expect(changes.incidents.first?.resolution == .bindingUpdated)
        #expect(changes.robots.isEmpty)
        #expect(changes.notices == [.resolve(incidentID: "e1")])
    }

    @Test("Reminders follow the repeat interval and stop at the limit")
    func reminders() throws {
        var incident = try #require(
            book.apply(event(.robotPaused, robot: "rb_7"), eventID: "e1", cause: .keyExpired, open: [], stored: [], now: start).incidents.first
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
