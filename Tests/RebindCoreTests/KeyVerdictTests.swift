import Foundation
import RebindCore
import Testing

@Suite("Key verdict JSON")
struct KeyVerdictTests {
    func json(_ verdict: KeyVerdict) throws -> [String: Any] {
        let data = try JSONEncoder().encode(verdict)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("A usable verdict has every field, with cause, trading_expires_at and an unknown exchange_uid null")
    func usableShape() throws {
        let verdict = KeyVerdict(cause: nil, canTrade: true, canWithdraw: false, ipRestricted: true)
        let text = String(decoding: try JSONEncoder().encode(verdict), as: UTF8.self)
        #expect(text.contains(#""cause":null"#))
        #expect(text.contains(#""trading_expires_at":null"#))
        #expect(text.contains(#""exchange_uid":null"#))
        let object = try json(verdict)
        #expect(
            Set(object.keys) == ["usable", "cause", "can_trade", "can_withdraw", "ip_restricted", "trading_expires_at", "warnings", "exchange_uid"]
        )
        #expect(object["usable"] as? Bool == true)
        #expect(object["can_trade"] as? Bool == true)
        #expect(object["can_withdraw"] as? Bool == false)
        #expect(object["ip_restricted"] as? Bool == true)
        #expect(object["warnings"] as? [String] == [])
        #expect(try json(KeyVerdict(cause: nil, canTrade: true, exchangeUID: "354937868"))["exchange_uid"] as? String == "354937868")
    }

    @Test("A refused verdict names its cause; expiry is RFC 3339")
    func refusedShape() throws {
        let verdict = KeyVerdict(
            cause: .keyExpired,
            tradingExpiresAt: Date(timeIntervalSince1970: 1_795_000_000),
            findings: ["Create a new key."]
        )
        let object = try json(verdict)
        #expect(object["usable"] as? Bool == false)
        #expect(object["cause"] as? String == "key_expired")
        #expect(object["trading_expires_at"] as? String == "2026-11-18T11:06:40Z")
        #expect(object["warnings"] as? [String] == ["Create a new key."])
    }

    @Test("A verdict survives a round trip through JSON")
    func roundTrip() throws {
        for verdict in [
            KeyVerdict(
                cause: nil,
                canTrade: true,
                canWithdraw: false,
                ipRestricted: false,
                tradingExpiresAt: Date(timeIntervalSince1970: 1_795_000_000),
                findings: ["Soon."],
                exchangeUID: "354937868"
            ),
            KeyVerdict(cause: .permissionMissing, canTrade: true, canWithdraw: true, ipRestricted: true, findings: ["No.", "Never."]),
            KeyVerdict.refused(.unknown, "Busy."),
        ] {
            let decoded = try JSONDecoder().decode(KeyVerdict.self, from: try JSONEncoder().encode(verdict))
            #expect(decoded == verdict)
        }
    }

    @Test("A verdict written before exchange_uid existed reads with none")
    func withoutExchangeUID() throws {
        let older =
            #"{"usable":true,"cause":null,"can_trade":true,"can_withdraw":false,"ip_restricted":false,"trading_expires_at":null,"warnings":[]}"#
        #expect(try JSONDecoder().decode(KeyVerdict.self, from: Data(older.utf8)).exchangeUID == nil)
    }

    @Test("usable and cause must agree")
    func inconsistent() {
        let both =
            #"{"usable":true,"cause":"key_deleted","can_trade":false,"can_withdraw":false,"ip_restricted":false,"trading_expires_at":null,"warnings":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(KeyVerdict.self, from: Data(both.utf8)) }
        let neither =
            #"{"usable":false,"cause":null,"can_trade":false,"can_withdraw":false,"ip_restricted":false,"trading_expires_at":null,"warnings":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(KeyVerdict.self, from: Data(neither.utf8)) }
    }

    @Test("A check that got no answer reads as unknown, with what to do")
    func noAnswer() {
        let verdict = KeyCheckError.busy(exchange: "Binance", status: 503).verdict
        #expect(verdict.cause == .unknown)
        #expect(!verdict.usable)
        #expect(verdict.warnings == ["Binance is busy right now and did not check the key; try again in a few minutes."])
        #expect(KeyCheckError.unreachable(exchange: "OKX", reason: "x").verdict.warnings.first?.contains("could not be reached") == true)
    }

    @Test("Credentials show only the key's last characters")
    func credentialsDescription() {
        let credentials = ExchangeCredentials(
            apiKey: "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            apiSecret: Secret("top-secret"),
            passphrase: Secret("passphrase")
        )
        #expect("\(credentials)" == "API key …Eh8A")
        #expect(!String(reflecting: credentials).contains("top-secret"))
        #expect(!String(reflecting: credentials).contains("passphrase\""))
    }
}
