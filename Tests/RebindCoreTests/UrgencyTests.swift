import Foundation
import RebindCore
import Testing

/// What a paused robot leaves unmanaged (DESIGN §10 Urgency): the event's optional
/// `robot.open_positions` and `robot.exposure`, summed per incident.
@Suite("Urgency: what paused robots leave unmanaged")
struct UrgencyTests {
    let decoder = EventDecoder(knownExchanges: ["binance", "okx"])
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func event(robot id: String = "rb_7", _ stake: [String: Any]) throws -> Data {
        var robot: [String: Any] = ["id": id, "name": "Grid \(id)"]
        robot.merge(stake) { $1 }
        let object: [String: Any] = [
            "type": "robot.paused", "occurred_at": "2026-11-26T09:30:00Z", "user": ["id": "u_1"],
            "account": ["id": "acc_1", "exchange": "binance"], "robot": robot, "reason": ["text": "Pause: API expired"],
        ]
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test("open_positions and exposure are optional and read as sent")
    func accepted() throws {
        let none = try decoder.decode(try event([:]))
        #expect(none.robot?.openPositions == nil && none.robot?.exposure == nil)
        let some = try decoder.decode(try event(["open_positions": 3, "exposure": ["amount": "1234.56", "currency": "USDT"]]))
        #expect(some.robot?.openPositions == 3)
        #expect(some.robot?.exposure == .init(amount: "1234.56", currency: "USDT"))
        #expect(try decoder.decode(try event(["open_positions": 0, "exposure": ["amount": "0", "currency": "BTC"]])).robot?.openPositions == 0)
    }

    @Test(
        "A wrong open_positions or exposure is refused naming the field",
        arguments: [
            (#"{"open_positions": -1}"#, "robot.open_positions"),
            (#"{"open_positions": 1.5}"#, "robot.open_positions"),
            (#"{"open_positions": "3"}"#, "robot.open_positions"),
            (#"{"exposure": {"amount": "-5", "currency": "USDT"}}"#, "robot.exposure.amount"),
            (#"{"exposure": {"amount": "1e5", "currency": "USDT"}}"#, "robot.exposure.amount"),
            (#"{"exposure": {"amount": "1,000", "currency": "USDT"}}"#, "robot.exposure.amount"),
            (#"{"exposure": {"amount": ".5", "currency": "USDT"}}"#, "robot.exposure.amount"),
            (#"{"exposure": {"amount": 12.5, "currency": "USDT"}}"#, "robot.exposure.amount"),
            (#"{"exposure": {"amount": "12.5", "currency": "usdt"}}"#, "robot.exposure.currency"),
            (#"{"exposure": {"amount": "12.5", "currency": ""}}"#, "robot.exposure.currency"),
            (#"{"exposure": {"amount": "12.5"}}"#, "robot.exposure.currency"),
        ]
    )
    func refused(_ stake: String, field: String) throws {
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(stake.utf8)) as? [String: Any])
        let body = try event(fields)
        do throws(EventDecoder.Error) {
            _ = try decoder.decode(body)
            Issue.record("\(stake) was accepted")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test("An incident sums open positions and exposure per currency over its halted robots; resumed ones no longer count")
    func sums() throws {
        var ledger = BookLedger(book: IncidentBook(policy: IncidentPolicy()))
        for (id, stake) in [
            ("a", ["open_positions": 2, "exposure": ["amount": "1000.25", "currency": "USDT"]] as [String: Any]),
            ("b", ["open_positions": 1, "exposure": ["amount": "999.75", "currency": "USDT"]]),
            ("c", ["exposure": ["amount": "0.5", "currency": "BTC"]]),
            ("d", [:]),
        ] {
            ledger.apply(try decoder.decode(try event(robot: id, stake)), eventID: id, cause: .keyExpired, now: now)
        }
        var incident = try #require(ledger.incidents["a"])
        #expect(incident.totals.robots == 4)
        #expect(incident.unmanaged.openPositions == 3)
        #expect(incident.unmanaged.exposure.map(\.currency) == ["USDT", "BTC"])
        #expect(incident.unmanaged.exposure.map(\.amount) == [Decimal(2000), Decimal(string: "0.5")!])
        #expect(incident.isUrgent)

        var resumed = try decoder.decode(try event(robot: "a", [:]))
        resumed.type = .robotResumed
        incident = try #require(ledger.apply(resumed, eventID: "r1", cause: .keyExpired, now: now).incidents.first)
        #expect(incident.unmanaged.openPositions == 1)
        #expect(incident.unmanaged.exposure.first?.amount == Decimal(string: "999.75"))

        // Nothing at stake: not urgent.
        var calmLedger = BookLedger(book: IncidentBook(policy: IncidentPolicy()))
        let calm = try #require(
            calmLedger.apply(try decoder.decode(try event(["open_positions": 0])), eventID: "e9", cause: .keyExpired, now: now).incidents.first
        )
        #expect(!calm.isUrgent)
    }
}
