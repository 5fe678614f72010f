import Foundation
import RebindCore
import Testing

@Suite("Incident grouping over a batch of events")
struct IncidentBatchTests {
    let book = IncidentBook(policy: IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 2))
    let start = Date(timeIntervalSince1970: 1_795_685_400)

    func event(_ type: EventType, robot: String?, account: String) -> RobotEvent {
        RobotEvent(
            type: type,
            occurredAt: start,
            user: .init(id: "u_1"),
            account: .init(id: account, exchange: "okx"),
            robot: robot.map { .init(id: $0, name: "Robot \($0)") },
            reason: type.reportsHalt ? .init(text: "Pause: API key expired") : nil
        )
    }

    @Test("Each event sees what the events before it changed; the changes come out once each, in their final state")
    func matchesOneAtATime() {
        // A mix over three accounts: halts, repeats, resumes that resolve, halts after a
        // resolution (a new incident of the same cause), binding updates, causes of two kinds.
        let types: [EventType] = [.robotPaused, .robotStopped, .robotResumed, .robotPaused, .robotResumed, .apiBindingUpdated]
        // A fixed pseudo-random sequence (a linear congruential generator), the same every run.
        var seed: UInt64 = 42
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        var script: [(RobotEvent, Cause, Date)] = []
        for step in 0..<300 {
            let type = types[next(types.count)]
            let robot = type == .apiBindingUpdated ? nil : "r\(next(4))"
            let cause: Cause = next(8) == 0 ? .notKeyRelated : .keyExpired
            script.append((event(type, robot: robot, account: "acc_\(next(3))"), cause, start.addingTimeInterval(Double(step))))
        }

        // The oracle: one ledger per account (a store gives the book one account's incidents),
        // each event applied alone. Stored before the batch: what the first 40 events left.
        var ledgers: [String: BookLedger] = [:]
        func ledgerApply(_ index: Int) -> IncidentChanges {
            let (event, cause, now) = script[index]
            var ledger = ledgers[event.account.id] ?? BookLedger(book: book)
            defer { ledgers[event.account.id] = ledger }
            return ledger.apply(event, eventID: "e\(index)", cause: cause, now: now)
        }
        for index in 0..<40 { _ = ledgerApply(index) }
        let openBefore = ledgers.values.flatMap(\.open)
        let rowsBefore = ledgers.values.flatMap { ledger in ledger.open.flatMap { (ledger.rows[$0.id] ?? [:]).values } }
        var batch = IncidentBatch(book: book, open: openBefore, rows: rowsBefore)
        var notices: [IncidentNotice] = []
        var touched: [String] = []
        var rowKeys: [String] = []
        for index in 40..<script.count {
            let (event, cause, now) = script[index]
            let expected = ledgerApply(index)
            let got = batch.apply(event, eventID: "e\(index)", cause: cause, now: now)
            #expect(got == expected, "event \(index)")
            notices += expected.notices
            touched += expected.incidents.map(\.id).filter { !touched.contains($0) }
            rowKeys += expected.robots.map { "\($0.incidentID)/\($0.robot.id)" }.filter { !rowKeys.contains($0) }
        }
        let incidents = ledgers.values.reduce(into: [String: Incident]()) { $0.merge($1.incidents) { first, _ in first } }
        let rows = ledgers.values.reduce(into: [String: [String: IncidentRobot]]()) { $0.merge($1.rows) { first, _ in first } }
        #expect(batch.notices.map(\.notice) == notices)
        #expect(Set(batch.incidents.map(\.id)) == Set(touched))
        for incident in batch.incidents { #expect(incident == incidents[incident.id]) }
        #expect(batch.robots.count == rowKeys.count)
        for row in batch.robots { #expect(row == rows[row.incidentID]?[row.robot.id]) }
        #expect(batch.incidents.contains { !$0.isOpen } && batch.incidents.contains(where: \.isOpen))
    }

    @Test("Incidents stored before the batch are written before new ones, so a resolved one frees its cause first")
    func storedFirst() {
        var ledger = BookLedger(book: book)
        ledger.apply(event(.robotPaused, robot: "r1", account: "acc_1"), eventID: "old", cause: .keyExpired, now: start)
        var batch = IncidentBatch(book: book, open: ledger.open, rows: ledger.open.flatMap { (ledger.rows[$0.id] ?? [:]).values })
        batch.apply(event(.robotPaused, robot: "r1", account: "acc_2"), eventID: "other", cause: .keyExpired, now: start + 1)
        batch.apply(event(.robotResumed, robot: "r1", account: "acc_1"), eventID: "back", cause: .keyExpired, now: start + 2)
        batch.apply(event(.robotPaused, robot: "r2", account: "acc_1"), eventID: "new", cause: .keyExpired, now: start + 3)
        #expect(batch.incidents.map(\.id) == ["old", "other", "new"])
        #expect(batch.incidents.map(\.isOpen) == [false, true, true])
        #expect(
            batch.notices.map(\.notice) == [
                .announce(incidentID: "other", at: start + 11), .withdraw(incidentID: "old"), .announce(incidentID: "new", at: start + 13),
            ]
        )
        #expect(batch.notices.map(\.now) == [start + 1, start + 2, start + 3])
    }
}
