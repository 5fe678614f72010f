import Foundation
import RebindCore
import Testing

@Suite("Event decoding")
struct EventDecoderTests {
    let decoder = EventDecoder(knownExchanges: ["binance", "okx"])

    static let paused = """
        {
          "type": "robot.paused",
          "occurred_at": "2026-11-26T09:30:00Z",
          "user": {"id": "u_1001", "locale": "en", "telegram_chat_id": 123456789,
                   "slack": {"team_id": "T0001", "user_id": "U0001"}},
          "account": {"id": "acc_42", "exchange": "binance", "label": "Main",
                      "api_key_hint": "h8A", "bound_at": "2026-09-27T08:00:00Z"},
          "robot": {"id": "rb_7", "name": "BTC/USDT Grid"},
          "reason": {"text": "Pause: Invalid API key operation permission",
                     "code": "-2015", "message": "Invalid API-key, IP, or permissions for action."}
        }
        """

    func body(_ transform: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(Self.paused.utf8)) as? [String: Any])
        transform(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    func field(of body: Data) -> String? {
        do {
            _ = try decoder.decode(body)
            return nil
        } catch {
            return error.field
        }
    }

    @Test("The design's example event decodes with every field")
    func example() throws {
        let event = try decoder.decode(Data(Self.paused.utf8))
        #expect(event.type == .robotPaused)
        #expect(event.user.telegramChatId == 123_456_789)
        #expect(event.user.slack == RobotEvent.SlackIdentity(teamId: "T0001", userId: "U0001"))
        #expect(event.account.apiKeyHint == "h8A")
        #expect(event.robot == RobotEvent.Robot(id: "rb_7", name: "BTC/USDT Grid"))
        #expect(event.reason?.code == "-2015")
        #expect(event.occurredAt == Date(timeIntervalSince1970: 1_795_685_400))
    }

    @Test("A numeric reason code is read as text")
    func numericCode() throws {
        let event = try decoder.decode(try body { $0["reason"] = ["text": "x", "code": -2015] })
        #expect(event.reason?.code == "-2015")
    }

    @Test("Times with fractions or offsets are accepted")
    func timeFormats() throws {
        for time in ["2026-11-26T09:30:00.250Z", "2026-11-26T10:30:00+01:00"] {
            let event = try decoder.decode(try body { $0["occurred_at"] = time })
            #expect(abs(event.occurredAt.timeIntervalSince1970 - 1_795_685_400) < 1)
        }
    }

    @Test("Invalid JSON is refused as such")
    func invalidJSON() {
        for text in ["{", "not json", "[]", "42", ""] {
            #expect(throws: EventDecoder.Error.self) { try decoder.decode(Data(text.utf8)) }
            #expect(field(of: Data(text.utf8)) == nil)
        }
    }

    @Test("Each missing or wrong field is named")
    func namedFields() throws {
        #expect(field(of: try body { $0["type"] = "robot.exploded" }) == "type")
        #expect(field(of: try body { $0.removeValue(forKey: "type") }) == "type")
        #expect(field(of: try body { $0["occurred_at"] = "yesterday" }) == "occurred_at")
        #expect(field(of: try body { $0.removeValue(forKey: "user") }) == "user")
        #expect(field(of: try body { $0["user"] = ["locale": "en"] }) == "user.id")
        #expect(field(of: try body { $0["user"] = ["id": "  "] }) == "user.id")
        #expect(field(of: try body { $0["user"] = ["id": "u", "telegram_chat_id": "abc"] }) == "user.telegram_chat_id")
        #expect(field(of: try body { $0["account"] = ["id": "a", "exchange": "kraken"] }) == "account.exchange")
        #expect(field(of: try body { $0["account"] = ["id": "a"] }) == "account.exchange")
        #expect(field(of: try body { $0.removeValue(forKey: "robot") }) == "robot")
        #expect(field(of: try body { $0["robot"] = ["id": "r"] }) == "robot.name")
        #expect(field(of: try body { $0.removeValue(forKey: "reason") }) == "reason")
        #expect(field(of: try body { $0["reason"] = ["code": "1"] }) == "reason.text")
        #expect(field(of: try body { $0["user"] = ["id": String(repeating: "u", count: 300)] }) == "user.id")
        for chatID in ["9223372036854775808", "1e30", "1.5"] {
            let text = String(decoding: try body { $0["user"] = ["id": "u"] }, as: UTF8.self)
                .replacingOccurrences(of: #""id":"u""#, with: #""id":"u","telegram_chat_id":\#(chatID)"#)
            #expect(field(of: Data(text.utf8)) == "user.telegram_chat_id", "\(chatID)")
        }
    }

    /// The example event with `account.exchange_uid` set to `uid` (any JSON value).
    func withExchangeUID(_ uid: Any) throws -> Data {
        try body { $0["account"] = ["id": "acc_42", "exchange": "binance", "exchange_uid": uid] }
    }

    @Test("account.exchange_uid is optional, and read as the exchange's account id when sent")
    func exchangeUID() throws {
        #expect(try decoder.decode(Data(Self.paused.utf8)).account.exchangeUID == nil)
        #expect(try decoder.decode(try withExchangeUID("354937868")).account.exchangeUID == "354937868")
        let longest = String(repeating: "7", count: 64)
        #expect(try decoder.decode(try withExchangeUID(longest)).account.exchangeUID == longest)
    }

    @Test("account.exchange_uid that is empty, too long or not a string is refused, naming the field")
    func badExchangeUID() throws {
        for uid: Any in ["", "   ", String(repeating: "7", count: 65), 354_937_868, true, ["354937868"]] {
            #expect(field(of: try withExchangeUID(uid)) == "account.exchange_uid", "\(uid)")
        }
        let tooLong = try withExchangeUID(String(repeating: "7", count: 65))
        #expect(throws: EventDecoder.Error.invalidField(field: "account.exchange_uid", message: "must be at most 64 characters")) {
            try decoder.decode(tooLong)
        }
    }

    @Test("An unknown exchange's error lists the known ones")
    func unknownExchange() throws {
        do {
            _ = try decoder.decode(try body { $0["account"] = ["id": "a", "exchange": "kraken"] })
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).contains("binance, okx"))
        }
    }

    @Test("Resumed and binding events need no reason")
    func eventsWithoutReason() throws {
        let resumed = try decoder.decode(
            try body {
                $0["type"] = "robot.resumed"
                $0.removeValue(forKey: "reason")
            }
        )
        #expect(resumed.type == .robotResumed)
        let binding = try decoder.decode(
            try body {
                $0["type"] = "api_binding.created"
                $0.removeValue(forKey: "reason")
                $0.removeValue(forKey: "robot")
            }
        )
        #expect(binding.type == .apiBindingCreated)
        #expect(
            field(
                of: try body {
                    $0["type"] = "robot.resumed"
                    $0.removeValue(forKey: "robot")
                }
            ) == "robot"
        )
    }
}
