import Foundation
import RebindCore
import RebindExchanges
import RebindHTTP
import RebindSimulator
import Synchronization
import Testing

/// `BinanceKeyVerifier` over the real `CurlTransport` against the fake Binance, one test per
/// case the exchange can present.
@Suite("Binance key check")
struct BinanceKeyVerifierTests {
    static let credentials = ExchangeCredentials(apiKey: FakeBinanceServer.apiKey, apiSecret: FakeBinanceServer.secret)
    static let restrictionsPath = "/sapi/v1/account/apiRestrictions"
    static let accountPath = "/api/v3/account"

    func verify(
        _ scenario: FakeBinanceServer.Scenario,
        credentials: ExchangeCredentials = credentials,
        context: KeyCheckContext = KeyCheckContext(),
        accountUID: Int64 = FakeBinanceServer.defaultAccountUID,
        timeout: TimeInterval = 45,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> (verdict: Result<KeyVerdict, KeyCheckError>, requests: [RecordedRequest]) {
        let transport = try testTransport(timeout: timeout)
        return try await FakeBinanceServer.withServer(scenario, accountUID: accountUID) { server in
            // Binance's widest window: a loaded test machine that stalls a request for seconds is
            // no clock error (the skew scenario is ten minutes, well past it).
            let verifier: any KeyVerifier = BinanceKeyVerifier(
                baseURL: server.baseURL,
                transport: transport,
                recvWindow: 60_000,
                timeout: timeout,
                now: now
            )
            let result: Result<KeyVerdict, KeyCheckError>
            do throws(KeyCheckError) {
                result = .success(try await verifier.verify(credentials, context: context))
            } catch {
                result = .failure(error)
            }
            return (result, server.requests())
        }
    }

    @Test("A working key is usable: it trades, cannot withdraw, is bound to IPs, and names its account")
    func workingKey() async throws {
        let (result, requests) = try await verify(.workingKey)
        let verdict = try result.get()
        #expect(
            verdict
                == KeyVerdict(
                    cause: nil,
                    canTrade: true,
                    canWithdraw: false,
                    ipRestricted: true,
                    tradingExpiresAt: nil,
                    findings: [],
                    exchangeUID: "354937868"
                )
        )
        #expect(verdict.usable)

        #expect(requests.map(\.pathWithoutQuery) == [Self.restrictionsPath, Self.accountPath])
        let request = try #require(requests.first)
        #expect(request.method == "GET")
        #expect(request.header("X-MBX-APIKEY") == FakeBinanceServer.apiKey)
        #expect(request.queryItems.map(\.name) == ["recvWindow", "timestamp", "signature"])
        // The window the verifier was given (these tests widen it); Rebind's own is Binance's default.
        #expect(request.queryItems.first?.value == "60000")
        #expect(BinanceKeyVerifier(baseURL: "https://api.binance.com", transport: try testTransport(timeout: 5)).recvWindow == 5000)
        let timestamp = try #require(request.queryItems.first { $0.name == "timestamp" }?.value.flatMap { Int64($0) })
        #expect(abs(Double(timestamp) / 1000 - Date().timeIntervalSince1970) < 60)

        // The account call is signed like the other, and leaves the balances out.
        let account = try #require(requests.last)
        #expect(account.header("X-MBX-APIKEY") == FakeBinanceServer.apiKey)
        #expect(account.queryItems.map(\.name) == ["omitZeroBalances", "recvWindow", "timestamp", "signature"])
        #expect(account.queryItems.first?.value == "true")
    }

    @Test("The check reads the key's account id from GET /api/v3/account, whichever account it is")
    func accountUID() async throws {
        let verdict = try await verify(.workingKey, accountUID: 900_000_001).verdict.get()
        #expect(verdict.exchangeUID == "900000001")
        // A key refused for its permissions still says whose it is.
        let withdraw = try await verify(.withdrawEnabledKey, accountUID: 42).verdict.get()
        #expect(withdraw.cause == .permissionMissing)
        #expect(withdraw.exchangeUID == "42")
    }

    @Test("A key Binance refuses outright names no account: nothing is guessed")
    func refusedKeyNamesNoAccount() async throws {
        let (result, requests) = try await verify(.deletedKey)
        #expect(try result.get().exchangeUID == nil)
        #expect(requests.map(\.pathWithoutQuery) == [Self.restrictionsPath])
    }

    @Test("An account call that gets no answer is no verdict: the account's id is never guessed")
    func accountCallFails() async throws {
        let restrictions = #"{"ipRestrict":true,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}"#
        // Binance busy on the account call.
        try await LoopbackHTTPServer.withServer(handler: { request in
            request.pathWithoutQuery == Self.accountPath ? .json(503, #"{"code":-1001,"msg":"Internal error."}"#) : .json(200, restrictions)
        }) { server in
            let verifier = BinanceKeyVerifier(baseURL: server.baseURL, transport: try testTransport(), timeout: 45)
            await #expect(throws: KeyCheckError.busy(exchange: "Binance", status: 503)) {
                try await verifier.verify(Self.credentials, context: KeyCheckContext())
            }
        }
        // An account answer without a uid.
        try await LoopbackHTTPServer.withServer(handler: { request in
            request.pathWithoutQuery == Self.accountPath ? .json(200, #"{"canTrade":true,"balances":[]}"#) : .json(200, restrictions)
        }) { server in
            let verifier = BinanceKeyVerifier(baseURL: server.baseURL, transport: try testTransport(), timeout: 45)
            await #expect {
                try await verifier.verify(Self.credentials, context: KeyCheckContext())
            } throws: { error in
                guard case KeyCheckError.unexpectedAnswer(exchange: "Binance", status: 200, let reason) = error else { return false }
                return reason.contains("uid")
            }
        }
    }

    @Test("-1021 on the account call: it syncs with Binance's time and asks once more")
    func accountCallOutOfSync() async throws {
        let restrictions = #"{"ipRestrict":true,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}"#
        let accountCalls = Mutex(0)
        try await LoopbackHTTPServer.withServer(handler: { request in
            switch request.pathWithoutQuery {
            case Self.accountPath:
                let first = accountCalls.withLock { calls in
                    calls += 1
                    return calls == 1
                }
                return first
                    ? .json(400, #"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#) : .json(200, #"{"uid":77}"#)
            case "/api/v3/time": return .json(200, #"{"serverTime":\#(Int64(Date().timeIntervalSince1970 * 1000))}"#)
            default: return .json(200, restrictions)
            }
        }) { server in
            let verifier = BinanceKeyVerifier(baseURL: server.baseURL, transport: try testTransport(), timeout: 45)
            let verdict = try await verifier.verify(Self.credentials, context: KeyCheckContext())
            #expect(verdict.exchangeUID == "77")
            #expect(server.requests().map(\.pathWithoutQuery) == [Self.restrictionsPath, Self.accountPath, "/api/v3/time", Self.accountPath])
        }
    }

    @Test("-2015 on the account call after the restrictions answered: the restrictions' flags decide, and no account is named")
    func accountCallRefused() async throws {
        let restrictions = #"{"ipRestrict":true,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}"#
        try await LoopbackHTTPServer.withServer(handler: { request in
            request.pathWithoutQuery == Self.accountPath
                ? .json(401, #"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#) : .json(200, restrictions)
        }) { server in
            let verifier = BinanceKeyVerifier(baseURL: server.baseURL, transport: try testTransport(), timeout: 45)
            let verdict = try await verifier.verify(Self.credentials, context: KeyCheckContext())
            #expect(verdict.cause == .unknown)
            #expect(verdict.exchangeUID == nil)
            #expect(verdict.warnings.first?.contains("-2015") == true)
        }
    }

    @Test("The secret never leaves Rebind: not in the URL, a header or the body")
    func secretStaysHome() async throws {
        let (_, requests) = try await verify(.workingKey)
        #expect(!requests.isEmpty)
        for request in requests {
            #expect(!request.everything.contains(FakeBinanceServer.secret.value))
        }
    }

    @Test("A deleted key is key_deleted")
    func deletedKey() async throws {
        let verdict = try await verify(.deletedKey).verdict.get()
        #expect(verdict.cause == .keyDeleted)
        #expect(!verdict.usable)
        #expect(!verdict.canTrade)
    }

    @Test("A read-only key is refused as permission_missing")
    func readOnlyKey() async throws {
        let verdict = try await verify(.readOnlyKey).verdict.get()
        #expect(verdict.cause == .permissionMissing)
        #expect(!verdict.canTrade)
        #expect(verdict.warnings.first?.contains("cannot trade") == true)
    }

    @Test("A key that can withdraw is refused, and says why")
    func withdrawEnabledKey() async throws {
        let verdict = try await verify(.withdrawEnabledKey).verdict.get()
        #expect(!verdict.usable)
        #expect(verdict.cause == .permissionMissing)
        #expect(verdict.canTrade)
        #expect(verdict.canWithdraw)
        #expect(verdict.warnings.first?.contains("withdraw") == true)
    }

    @Test("A key whose IP whitelist leaves this server out fails the restrictions call too: deleted, or the IP")
    func ipRestricted() async throws {
        let (result, requests) = try await verify(.ipRestricted)
        let verdict = try result.get()
        #expect(verdict.cause == .keyDeleted)
        #expect(verdict.warnings.first?.contains("IP") == true)
        #expect(requests.count == 1)
    }

    @Test("Spot trading that lapsed (a past tradingAuthorityExpirationTime) is key_expired")
    func lapsedSpotTrading() async throws {
        let verdict = try await verify(.lapsedSpotTrading).verdict.get()
        #expect(verdict.cause == .keyExpired)
        #expect(!verdict.canTrade)
        let expired = try #require(verdict.tradingExpiresAt)
        #expect(expired < Date())
        #expect(Date().timeIntervalSince(expired) < 2 * 86_400)
    }

    @Test("A key without an IP whitelist is usable, with the day its trading lapses")
    func unrestrictedKey() async throws {
        let verdict = try await verify(.unrestrictedKey).verdict.get()
        #expect(verdict.usable)
        #expect(!verdict.ipRestricted)
        let expires = try #require(verdict.tradingExpiresAt)
        #expect(abs(expires.timeIntervalSinceNow - 30 * 86_400) < 120)
        #expect(verdict.warnings.count == 1)
        #expect(verdict.warnings.first?.contains("in 29 days") == true || verdict.warnings.first?.contains("in 30 days") == true)
    }

    @Test("A futures robot needs futures trading on the key")
    func futuresRobot() async throws {
        let spotOnly = try await verify(.workingKey, context: KeyCheckContext(needsFutures: true)).verdict.get()
        #expect(spotOnly.cause == .permissionMissing)
        #expect(!spotOnly.canTrade)
        #expect(spotOnly.warnings.first?.contains("futures") == true)

        let futures = try await verify(.futuresKey, context: KeyCheckContext(needsFutures: true)).verdict.get()
        #expect(futures.usable)
        #expect(futures.canTrade)
    }

    @Test("A wrong secret is secret_wrong: the fake really checks the signature")
    func wrongSecret() async throws {
        let credentials = ExchangeCredentials(
            apiKey: FakeBinanceServer.apiKey,
            apiSecret: Secret(String(FakeBinanceServer.secret.value.reversed()))
        )
        let verdict = try await verify(.workingKey, credentials: credentials).verdict.get()
        #expect(verdict.cause == .secretWrong)
        #expect(verdict.warnings.first?.contains("-1022") == true)
        for warning in verdict.warnings {
            #expect(!warning.contains(credentials.apiSecret.value))
        }
    }

    @Test("A clock ten minutes behind Binance's gets -1021, syncs with the server time and succeeds on the one retry")
    func clockSkew() async throws {
        let (result, requests) = try await verify(.clockSkew(seconds: 600))
        #expect(try result.get().usable)
        #expect(requests.map(\.pathWithoutQuery) == [Self.restrictionsPath, "/api/v3/time", Self.restrictionsPath, Self.accountPath])
        // Both calls after the sync are stamped with Binance's time.
        for request in requests.suffix(2) {
            let stamped = try #require(request.queryItems.first { $0.name == "timestamp" }?.value.flatMap { Int64($0) })
            #expect(abs(Double(stamped) / 1000 - Date().addingTimeInterval(600).timeIntervalSince1970) < 5)
        }
    }

    @Test("A clock that will not stay in sync gives up after one retry: no verdict")
    func clockNeverInSync() async throws {
        let clock = RunawayClock(step: 3600)
        let (result, requests) = try await verify(.workingKey, now: clock.now)
        #expect(throws: KeyCheckError.clockOutOfSync(exchange: "Binance")) { try result.get() }
        #expect(requests.count == 3)
    }

    @Test("Rate limiting (429) is no verdict on the key: busy, try again")
    func rateLimited() async throws {
        let result = try await verify(.rateLimited).verdict
        #expect(throws: KeyCheckError.busy(exchange: "Binance", status: 429)) { try result.get() }
        guard case .failure(let error) = result else { return }
        #expect(error.verdict.cause == .unknown)
        #expect(error.verdict.warnings == ["Binance is busy right now and did not check the key; try again in a few minutes."])
    }

    @Test("An IP ban (418) is no verdict on the key")
    func ipBanned() async throws {
        await #expect(throws: KeyCheckError.busy(exchange: "Binance", status: 418)) { try await verify(.ipBanned).verdict.get() }
    }

    @Test("A failing exchange (5xx) is no verdict on the key")
    func unavailable() async throws {
        await #expect(throws: KeyCheckError.busy(exchange: "Binance", status: 503)) { try await verify(.unavailable).verdict.get() }
    }

    @Test("An exchange that never answers times out within the configured timeout: no verdict")
    func hang() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await verify(.hang, timeout: 0.5).verdict
        #expect(clock.now - started < .seconds(30), "a short timeout must win over the long default, even on a loaded machine")
        guard case .failure(.unreachable(let exchange, let reason)) = result else {
            Issue.record("expected unreachable, got \(result)")
            return
        }
        #expect(exchange == "Binance")
        #expect(reason.contains("timed out"))
        #expect(!reason.contains("signature"))
    }

    @Test("A closed port is no verdict on the key")
    func refused() async throws {
        let port = try await LoopbackHTTPServer.unusedPort()
        let verifier = BinanceKeyVerifier(baseURL: "http://127.0.0.1:\(port)", transport: try testTransport())
        await #expect {
            try await verifier.verify(Self.credentials, context: KeyCheckContext())
        } throws: { error in
            guard case KeyCheckError.unreachable(exchange: "Binance", _) = error else { return false }
            return true
        }
    }

    @Test("An answer that is not Binance's API (a firewall's HTML page) is no verdict on the key")
    func notBinance() async throws {
        try await LoopbackHTTPServer.withServer(handler: { _ in
            .respond(status: 403, headers: [("Content-Type", "text/html")], body: Data("<html>Forbidden</html>".utf8))
        }) { server in
            let verifier = BinanceKeyVerifier(baseURL: server.baseURL, transport: try testTransport(), timeout: 45)
            await #expect {
                try await verifier.verify(Self.credentials, context: KeyCheckContext())
            } throws: { error in
                guard case KeyCheckError.unexpectedAnswer(exchange: "Binance", status: 403, _) = error else { return false }
                return true
            }
        }
    }

    @Test("A code outside the reference table is unknown and names the exchange's code and message")
    func unlistedCode() async throws {
        let body = #"{"code":-1234,"msg":"Something new."}"#
        try await LoopbackHTTPServer.withServer(handler: { _ in .json(400, body) }) { server in
            let verifier = BinanceKeyVerifier(baseURL: server.baseURL, transport: try testTransport(), timeout: 45)
            let verdict = try await verifier.verify(Self.credentials, context: KeyCheckContext())
            #expect(verdict.cause == .unknown)
            #expect(verdict.warnings == ["Binance refused the key with an answer Rebind does not know. (Binance -1234: Something new.)"])
        }
    }

    @Test("Credentials that cannot travel in a header are not sent")
    func unsendable() async throws {
        let verifier = BinanceKeyVerifier(baseURL: "http://127.0.0.1:9", transport: try testTransport())
        let credentials = ExchangeCredentials(apiKey: "abc\r\nX-Injected: 1", apiSecret: FakeBinanceServer.secret)
        await #expect(throws: KeyCheckError.unsendableCredentials(exchange: "Binance")) {
            try await verifier.verify(credentials, context: KeyCheckContext())
        }
    }
}
