import Foundation
import RebindCore
import Testing

@Suite("What a robot trades")
struct RobotMarketTests {
    let decoder = EventDecoder(knownExchanges: ["binance", "okx"])

    func event(market: Any?) throws -> Data {
        var robot: [String: Any] = ["id": "rb_7", "name": "BTC-PERP Grid"]
        if let market { robot["market"] = market }
        let object: [String: Any] = [
            "type": "robot.paused", "occurred_at": "2026-11-26T09:30:00Z", "user": ["id": "u_1"],
            "account": ["id": "acc_1", "exchange": "binance"], "robot": robot, "reason": ["text": "Pause: API expired"],
        ]
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test("robot.market is optional, spot or futures; anything else is refused naming the field")
    func decoding() throws {
        #expect(try decoder.decode(try event(market: nil)).robot?.market == nil)
        #expect(try decoder.decode(try event(market: "futures")).robot?.market == .futures)
        #expect(try decoder.decode(try event(market: "spot")).robot?.market == .spot)
        for bad: Any in ["options", 1, ""] {
            let body = try event(market: bad)
            do throws(EventDecoder.Error) {
                _ = try decoder.decode(body)
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error.field == "robot.market")
            }
        }
    }

    @Test("An incident remembers which of its robots trade futures, and counts the halted ones")
    func incident() throws {
        var ledger = BookLedger(book: IncidentBook(policy: IncidentPolicy()))
        let now = Date(timeIntervalSince1970: 1_795_685_400)
        ledger.apply(try decoder.decode(try event(market: "futures")), eventID: "e1", cause: .keyExpired, now: now)
        #expect(ledger.robots(of: "e1").map(\.futures) == [true])
        #expect(ledger.incidents["e1"]?.totals.needsFutures == true)
        var spot = try decoder.decode(try event(market: "spot"))
        spot.robot?.id = "rb_8"
        ledger.apply(spot, eventID: "e2", cause: .keyExpired, now: now)
        #expect(ledger.robots(of: "e1").map(\.futures) == [true, false])
        var resumed = try decoder.decode(try event(market: "futures"))
        resumed.type = .robotResumed
        ledger.apply(resumed, eventID: "e3", cause: .keyExpired, now: now)
        // The futures robot is back: the key need not trade futures for the one left.
        #expect(ledger.incidents["e1"]?.totals.needsFutures == false)
    }
}
