import Foundation
import RebindCore
import RebindSimulator
import Testing

/// `rebind exchange check` run as the real executable against the fake exchanges.
@Suite("rebind exchange check", .enabled(if: FileManager.default.isExecutableFile(atPath: RebindCommand.executable.path)))
struct ExchangeCheckCommandTests {
    static let binanceInput = "\(FakeBinanceServer.apiKey)\n\(FakeBinanceServer.secret.value)\n"
    static let okxInput = "\(FakeOKXServer.apiKey)\n\(FakeOKXServer.secret.value)\n\(FakeOKXServer.passphrase.value)\n"

    func check(
        _ exchange: String,
        at baseURL: String,
        input: String,
        arguments: [String] = []
    ) async throws -> (result: RebindCommand.Result, verdict: [String: Any]?) {
        let variable = exchange == "okx" ? "REBIND_OKX_API_URL" : "REBIND_BINANCE_API_URL"
        // The fake answers at once, but it runs in this test process, whose threads a fully
        // loaded run can hold for seconds: the command gets far longer than its 10 s default
        // unless the test sets its own.
        let timeout = arguments.contains("--timeout") ? [] : ["--timeout", "45"]
        let result = try await RebindCommand.run(
            ["exchange", "check", exchange] + arguments + timeout,
            environment: [variable: baseURL],
            input: input
        )
        for secret in [FakeBinanceServer.secret.value, FakeOKXServer.secret.value, FakeOKXServer.passphrase.value] {
            #expect(!result.output.contains(secret))
            #expect(!result.errors.contains(secret))
        }
        let verdict = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        return (result, verdict)
    }

    @Test("A usable Binance key prints the verdict as one JSON object, with the key's exchange_uid, and exits 0")
    func binanceUsable() async throws {
        try await FakeBinanceServer.withServer(.workingKey, accountUID: 900_000_001) { server in
            let (result, verdict) = try await check("binance", at: server.baseURL, input: Self.binanceInput)
            #expect(result.status == 0, "\(result.errors)")
            #expect(
                result.output.hasPrefix(
                    #"{"usable":true,"cause":null,"can_trade":true,"can_withdraw":false,"ip_restricted":true,"trading_expires_at":null,"warnings":[],"exchange_uid":"900000001"}"#
                )
            )
            #expect(result.output.split(separator: "\n").count == 1)
            #expect(verdict?["usable"] as? Bool == true)
            // The restrictions, then the account (its uid). A process started on a loaded machine
            // can reach Binance outside the receive window: then the client reads Binance's time
            // and asks again, which is the behaviour a slow start needs, not a failure.
            var paths = server.requests().map(\.pathWithoutQuery)
            if paths.starts(with: ["/sapi/v1/account/apiRestrictions", "/api/v3/time"]) { paths.removeFirst(2) }
            #expect(paths == ["/sapi/v1/account/apiRestrictions", "/api/v3/account"])
        }
    }

    @Test("A key Binance refuses outright prints exchange_uid null: nothing is guessed")
    func binanceDeletedKey() async throws {
        try await FakeBinanceServer.withServer(.deletedKey) { server in
            let (result, verdict) = try await check("binance", at: server.baseURL, input: Self.binanceInput)
            #expect(result.status == 1)
            #expect(verdict?["cause"] as? String == "key_deleted")
            #expect(verdict?.keys.contains("exchange_uid") == true)
            #expect(verdict?["exchange_uid"] is NSNull)
        }
    }

    @Test("A withdraw-enabled key is not usable: exit 1, with the cause and the warning")
    func binanceWithdrawEnabled() async throws {
        try await FakeBinanceServer.withServer(.withdrawEnabledKey) { server in
            let (result, verdict) = try await check("binance", at: server.baseURL, input: Self.binanceInput)
            #expect(result.status == 1, "\(result.errors)")
            let object = try #require(verdict)
            #expect(object["usable"] as? Bool == false)
            #expect(object["cause"] as? String == "permission_missing")
            #expect(object["can_withdraw"] as? Bool == true)
            #expect((object["warnings"] as? [String])?.first?.contains("withdraw") == true)
        }
    }

    @Test("A lapsed key prints its RFC 3339 expiry")
    func binanceLapsed() async throws {
        try await FakeBinanceServer.withServer(.lapsedSpotTrading) { server in
            let (result, verdict) = try await check("binance", at: server.baseURL, input: Self.binanceInput)
            #expect(result.status == 1)
            #expect(verdict?["cause"] as? String == "key_expired")
            let expires = try #require(verdict?["trading_expires_at"] as? String)
            #expect(Timestamp.parse(expires) != nil)
        }
    }

    @Test("A futures robot's key is checked for futures with --futures")
    func binanceFutures() async throws {
        try await FakeBinanceServer.withServer(.workingKey) { server in
            let (result, verdict) = try await check("binance", at: server.baseURL, input: Self.binanceInput, arguments: ["--futures"])
            #expect(result.status == 1)
            #expect(verdict?["cause"] as? String == "permission_missing")
        }
    }

    @Test("A failing exchange (5xx) is no verdict: exit 2, cause unknown, the reason on standard error")
    func binanceUnavailable() async throws {
        try await FakeBinanceServer.withServer(.unavailable) { server in
            let (result, verdict) = try await check("binance", at: server.baseURL, input: Self.binanceInput)
            #expect(result.status == 2)
            #expect(verdict?["cause"] as? String == "unknown")
            #expect(verdict?["usable"] as? Bool == false)
            #expect((verdict?["warnings"] as? [String])?.first?.contains("busy") == true)
            #expect(result.errors.contains("HTTP 503"))
        }
    }

    @Test("An exchange that never answers is no verdict once --timeout passes: exit 2")
    func binanceHang() async throws {
        try await FakeBinanceServer.withServer(.hang) { server in
            let clock = ContinuousClock()
            let started = clock.now
            let (result, verdict) = try await check("binance", at: server.baseURL, input: Self.binanceInput, arguments: ["--timeout", "0.5"])
            #expect(result.status == 2)
            #expect(verdict?["cause"] as? String == "unknown")
            #expect(result.errors.contains("timed out"))
            // curl names the time its own timer ran: 0.5 s, not the 10 s default. The wall clock
            // only shows the command returned; a loaded machine may start it slowly.
            let waited = result.errors.firstMatch(of: /after (\d+) milliseconds/).flatMap { Int($0.1) }
            #expect(waited.map { $0 < 5_000 } == true, "\(result.errors)")
            #expect(clock.now - started < .seconds(60))
        }
    }

    @Test("OKX reads the passphrase as the third line; a usable key exits 0")
    func okxUsable() async throws {
        try await FakeOKXServer.withServer(.workingKey) { server in
            let (result, verdict) = try await check("okx", at: server.baseURL, input: Self.okxInput)
            #expect(result.status == 0, "\(result.errors)")
            #expect(verdict?["usable"] as? Bool == true)
            #expect(verdict?["exchange_uid"] as? String == FakeOKXServer.defaultAccountUID)
            #expect(server.requests().first?.header("OK-ACCESS-PASSPHRASE") == FakeOKXServer.passphrase.value)
        }
    }

    @Test("OKX: a trading key with no IP bound is usable, with the 14-day warning")
    func okxWithoutIP() async throws {
        try await FakeOKXServer.withServer(.tradeKeyWithoutIP) { server in
            let (result, verdict) = try await check("okx", at: server.baseURL, input: Self.okxInput)
            #expect(result.status == 0)
            #expect((verdict?["warnings"] as? [String])?.first?.contains("14 days") == true)
        }
    }

    @Test("OKX: a wrong passphrase exits 1 with passphrase_wrong")
    func okxWrongPassphrase() async throws {
        try await FakeOKXServer.withServer(.workingKey) { server in
            let input = "\(FakeOKXServer.apiKey)\n\(FakeOKXServer.secret.value)\nNot-The-Passphrase\n"
            let (result, verdict) = try await check("okx", at: server.baseURL, input: input)
            #expect(result.status == 1)
            #expect(verdict?["cause"] as? String == "passphrase_wrong")
            #expect(!result.output.contains("Not-The-Passphrase"))
        }
    }

    @Test("OKX rate limiting is no verdict: exit 2")
    func okxRateLimited() async throws {
        try await FakeOKXServer.withServer(.rateLimited) { server in
            let (result, verdict) = try await check("okx", at: server.baseURL, input: Self.okxInput)
            #expect(result.status == 2)
            #expect(verdict?["cause"] as? String == "unknown")
        }
    }

    @Test("Missing lines are named on standard error, nothing is printed or asked: exit 2")
    func missingLines() async throws {
        try await FakeOKXServer.withServer(.workingKey) { server in
            let (result, _) = try await check("okx", at: server.baseURL, input: "\(FakeOKXServer.apiKey)\n\(FakeOKXServer.secret.value)\n")
            #expect(result.status == 2)
            #expect(result.output.isEmpty)
            #expect(result.errors.contains("standard input ended before line 3, the passphrase"))
            #expect(server.requests().isEmpty)
        }
    }

    @Test("A malformed paste is named precisely before the exchange is asked: exit 2")
    func malformedInput() async throws {
        try await FakeOKXServer.withServer(.workingKey) { server in
            let swapped = "\(FakeOKXServer.secret.value)\n\(FakeOKXServer.apiKey)\n\(FakeOKXServer.passphrase.value)\n"
            let (result, _) = try await check("okx", at: server.baseURL, input: swapped)
            #expect(result.status == 2)
            #expect(result.output.isEmpty)
            #expect(result.errors.contains("line 1, the API key: This looks like the secret, not the key"))
            #expect(server.requests().isEmpty)
        }
        let (short, _) = try await check("binance", at: "http://127.0.0.1:9", input: "\(FakeBinanceServer.apiKey)\nshort\n")
        #expect(short.status == 2)
        #expect(short.errors.contains("line 2, the secret key: A Binance secret key is 64 letters and digits; this has 5 characters."))
        #expect(!short.errors.contains("short\n"))
    }

    @Test("Pastes with a BOM, zero-width spaces and Windows line ends still check")
    func messyPaste() async throws {
        try await FakeBinanceServer.withServer(.workingKey) { server in
            let input = "\u{FEFF}\(FakeBinanceServer.apiKey)\u{200B}\r\n \(FakeBinanceServer.secret.value)\u{00A0}\r\n"
            let (result, _) = try await check("binance", at: server.baseURL, input: input)
            #expect(result.status == 0, "\(result.errors)")
        }
    }
}
