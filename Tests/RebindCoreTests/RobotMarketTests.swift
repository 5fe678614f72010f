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

    @Test("An incident remembers which of its robots trade futures")
    func incident() throws {
        let book = IncidentBook(policy: IncidentPolicy())
        let now = Date(timeIntervalSince1970: 1_795_685_400)
        let futures = try decoder.decode(try event(market: "futures"))
        let opened = book.apply(futures, eventID: "e1", cause: .keyExpired, open: [], now: now)
        let incident = try #require(opened.incidents.first)
        #expect(incident.robots.map(\.futures) == [true])
        var spot = try decoder.decode(try event(market: "spot"))
        spot.robot?.id = "rb_8"
        let grown = try #require(book.apply(spot, eventID: "e2", cause: .keyExpired, open: [incident], now: now).incidents.first)
        #expect(grown.robots.map(\.futures) == [true, false])
    }
}
