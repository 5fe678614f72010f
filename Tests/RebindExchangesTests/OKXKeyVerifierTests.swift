import Foundation
import RebindCore
import RebindExchanges
import RebindHTTP
import RebindSimulator
import Testing

/// `OKXKeyVerifier` over the real `CurlTransport` against the fake OKX, one test per case the
/// exchange can present.
@Suite("OKX key check")
struct OKXKeyVerifierTests {
    static let credentials = ExchangeCredentials(
        apiKey: FakeOKXServer.apiKey,
        apiSecret: FakeOKXServer.secret,
        passphrase: FakeOKXServer.passphrase
    )
    static let configPath = "/api/v5/account/config"

    func verify(
        _ scenario: FakeOKXServer.Scenario,
        credentials: ExchangeCredentials = credentials,
        context: KeyCheckContext = KeyCheckContext(),
        accountUID: String = FakeOKXServer.defaultAccountUID,
        timeout: TimeInterval = 45,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> (verdict: Result<KeyVerdict, KeyCheckError>, requests: [RecordedRequest]) {
        let transport = try testTransport(timeout: timeout)
        return try await FakeOKXServer.withServer(scenario, accountUID: accountUID) { server in
            let verifier: any KeyVerifier = OKXKeyVerifier(baseURL: server.baseURL, transport: transport, timeout: timeout, now: now)
            let result: Result<KeyVerdict, KeyCheckError>
            do throws(KeyCheckError) {
                result = .success(try await verifier.verify(credentials, context: context))
            } catch {
                result = .failure(error)
            }
            return (result, server.requests())
        }
    }

    /// A verifier against a plain loopback server answering `body` with `status`.
    func verify(answering status: Int, _ body: String) async throws -> Result<KeyVerdict, KeyCheckError> {
        try await LoopbackHTTPServer.withServer(handler: { _ in .json(status, body) }) { server in
            let verifier = OKXKeyVerifier(baseURL: server.baseURL, transport: try testTransport(), timeout: 45)
            do throws(KeyCheckError) {
                return .success(try await verifier.verify(Self.credentials, context: KeyCheckContext()))
            } catch {
                return .failure(error)
            }
        }
    }

    @Test("A working key is usable: it trades, cannot withdraw, and is bound to IPs")
    func workingKey() async throws {
        let (result, requests) = try await verify(.workingKey)
        #expect(
            try result.get()
                == KeyVerdict(cause: nil, canTrade: true, canWithdraw: false, ipRestricted: true, findings: [], exchangeUID: "44705892343619584")
        )

        let request = try #require(requests.only)
        #expect(request.method == "GET")
        #expect(request.path == Self.configPath)
        #expect(request.header("OK-ACCESS-KEY") == FakeOKXServer.apiKey)
        #expect(request.header("OK-ACCESS-PASSPHRASE") == FakeOKXServer.passphrase.value)
        let timestamp = try #require(request.header("OK-ACCESS-TIMESTAMP"))
        #expect(timestamp.count == 24)
        #expect(timestamp.hasSuffix("Z"))
        let sent = try #require(try? Date(timestamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        #expect(abs(sent.timeIntervalSinceNow) < 60)
        #expect(
            request.header("OK-ACCESS-SIGN")
                == OKXSigner(secret: FakeOKXServer.secret).signature(timestamp: timestamp, method: "GET", requestPath: Self.configPath)
        )
    }

    @Test("The secret never leaves Rebind: not in the URL, a header or the body")
    func secretStaysHome() async throws {
        let (_, requests) = try await verify(.workingKey)
        #expect(!requests.isEmpty)
        for request in requests {
            #expect(!request.everything.contains(FakeOKXServer.secret.value))
        }
    }

    @Test("A trading key with no IP bound is usable, with the warning that OKX deletes it after 14 days unused")
    func tradeKeyWithoutIP() async throws {
        let verdict = try await verify(.tradeKeyWithoutIP).verdict.get()
        #expect(verdict.usable)
        #expect(!verdict.ipRestricted)
        #expect(
            verdict.warnings == [
                "OKX deletes a key that can trade and has no IP address bound after 14 days without use: bind the platform's IP addresses to the key to keep it."
            ]
        )
    }

    @Test("A deleted key is key_deleted (50111)")
    func deletedKey() async throws {
        let verdict = try await verify(.deletedKey).verdict.get()
        #expect(verdict.cause == .keyDeleted)
        #expect(verdict.warnings.first?.hasSuffix("(OKX 50111)") == true)
    }

    @Test("The check reads the key's account id (uid, a string) from account/config, whichever account it is")
    func accountUID() async throws {
        let (result, requests) = try await verify(.workingKey, accountUID: "5502947162883072")
        #expect(try result.get().exchangeUID == "5502947162883072")
        // One call gives the permissions and the account.
        #expect(requests.count == 1)
        let withdraw = try await verify(.withdrawEnabledKey, accountUID: "77").verdict.get()
        #expect(withdraw.cause == .permissionMissing)
        #expect(withdraw.exchangeUID == "77")
        // A key OKX refuses outright names no account.
        #expect(try await verify(.deletedKey).verdict.get().exchangeUID == nil)
    }

    @Test("An account configuration without a uid is no verdict: the account's id is never guessed")
    func configWithoutUID() async throws {
        for config in [#"{"perm":"read_only,trade","ip":"127.0.0.1"}"#, #"{"perm":"read_only,trade","ip":"127.0.0.1","uid":""}"#] {
            let result = try await verify(answering: 200, #"{"code":"0","msg":"","data":[\#(config)]}"#)
            guard case .failure(.unexpectedAnswer(exchange: "OKX", status: 200, let reason)) = result else {
                Issue.record("expected an unexpected answer, got \(result)")
                continue
            }
            #expect(reason.contains("uid"))
        }
    }

    @Test("A read-only key is refused as permission_missing")
    func readOnlyKey() async throws {
        let verdict = try await verify(.readOnlyKey).verdict.get()
        #expect(verdict.cause == .permissionMissing)
        #expect(!verdict.canTrade)
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

    @Test("A key whose IP whitelist leaves this server out is ip_not_allowed (50110)")
    func ipRestricted() async throws {
        let verdict = try await verify(.ipRestricted).verdict.get()
        #expect(verdict.cause == .ipNotAllowed)
    }

    @Test("A wrong passphrase is passphrase_wrong (50105)")
    func wrongPassphrase() async throws {
        let credentials = ExchangeCredentials(apiKey: FakeOKXServer.apiKey, apiSecret: FakeOKXServer.secret, passphrase: Secret("Not-The-Passphrase"))
        let verdict = try await verify(.workingKey, credentials: credentials).verdict.get()
        #expect(verdict.cause == .passphraseWrong)
        #expect(verdict.warnings.first?.hasSuffix("(OKX 50105)") == true)
        #expect(!verdict.warnings.joined().contains("Not-The-Passphrase"))
    }

    @Test("No passphrase at all is passphrase_wrong (50104)")
    func missingPassphrase() async throws {
        let credentials = ExchangeCredentials(apiKey: FakeOKXServer.apiKey, apiSecret: FakeOKXServer.secret)
        let verdict = try await verify(.workingKey, credentials: credentials).verdict.get()
        #expect(verdict.cause == .passphraseWrong)
        #expect(verdict.warnings.first?.hasSuffix("(OKX 50104)") == true)
    }

    @Test("A wrong secret is secret_wrong (50113): the fake really checks the signature")
    func wrongSecret() async throws {
        let credentials = ExchangeCredentials(
            apiKey: FakeOKXServer.apiKey,
            apiSecret: Secret("00000000000000000000000000000000"),
            passphrase: FakeOKXServer.passphrase
        )
        let verdict = try await verify(.workingKey, credentials: credentials).verdict.get()
        #expect(verdict.cause == .secretWrong)
    }

    @Test("A clock ten minutes behind OKX's gets 50102, syncs with the server time and succeeds on the one retry")
    func clockSkew() async throws {
        let (result, requests) = try await verify(.clockSkew(seconds: 600))
        #expect(try result.get().usable)
        #expect(requests.map(\.path) == [Self.configPath, "/api/v5/public/time", Self.configPath])
        let retried = try #require(requests.last?.header("OK-ACCESS-TIMESTAMP"))
        let sent = try #require(try? Date(retried, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        #expect(abs(sent.timeIntervalSince(Date().addingTimeInterval(600))) < 5)
    }

    @Test("A clock that will not stay in sync gives up after one retry: no verdict")
    func clockNeverInSync() async throws {
        let clock = RunawayClock(step: 3600)
        let (result, requests) = try await verify(.workingKey, now: clock.now)
        #expect(throws: KeyCheckError.clockOutOfSync(exchange: "OKX")) { try result.get() }
        #expect(requests.count == 3)
    }

    @Test("Rate limiting (429) is no verdict on the key: busy, try again")
    func rateLimited() async throws {
        let result = try await verify(.rateLimited).verdict
        #expect(throws: KeyCheckError.busy(exchange: "OKX", status: 429)) { try result.get() }
        guard case .failure(let error) = result else { return }
        #expect(
            error.verdict == KeyVerdict(cause: .unknown, findings: ["OKX is busy right now and did not check the key; try again in a few minutes."])
        )
    }

    @Test("A failing exchange (5xx) is no verdict on the key")
    func unavailable() async throws {
        await #expect(throws: KeyCheckError.busy(exchange: "OKX", status: 503)) { try await verify(.unavailable).verdict.get() }
    }

    @Test("An exchange that never answers times out within the configured timeout: no verdict")
    func hang() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await verify(.hang, timeout: 0.5).verdict
        #expect(clock.now - started < .seconds(30), "a short timeout must win over the long default, even on a loaded machine")
        guard case .failure(.unreachable(exchange: "OKX", let reason)) = result else {
            Issue.record("expected unreachable, got \(result)")
            return
        }
        #expect(reason.contains("timed out"))
    }

    @Test("A refusal inside an item (sCode/sMsg) is read like a top-level one")
    func itemError() async throws {
        let underZero = try await verify(
            answering: 200,
            #"{"code":"0","msg":"","data":[{"sCode":"50120","sMsg":"This API key doesn't have permission to use this function"}]}"#
        )
        #expect(try underZero.get().cause == .permissionMissing)
        let underOne = try await verify(
            answering: 200,
            #"{"code":"1","msg":"","data":[{"sCode":"50110","sMsg":"Your IP 203.0.113.9 is not included in your API key's IP whitelist."}]}"#
        )
        #expect(try underOne.get().cause == .ipNotAllowed)
        let numeric = try await verify(answering: 401, #"{"code":50113,"msg":"Invalid signature."}"#)
        #expect(try numeric.get().cause == .secretWrong)
    }

    @Test("OKX's busy codes are no verdict even under HTTP 200")
    func busyCode() async throws {
        let result = try await verify(answering: 200, #"{"code":"50013","msg":"Systems are busy. Please try again later.","data":[]}"#)
        #expect(throws: KeyCheckError.busy(exchange: "OKX", status: 200)) { try result.get() }
    }

    @Test("A code outside the reference table is unknown and names the exchange's code and message")
    func unlistedCode() async throws {
        let result = try await verify(answering: 400, #"{"code":"59999","msg":"Something new."}"#)
        #expect(
            try result.get()
                == KeyVerdict(cause: .unknown, findings: ["OKX refused the key with an answer Rebind does not know. (OKX 59999: Something new.)"])
        )
    }

    @Test("An answer that is not OKX's API is no verdict on the key")
    func notOKX() async throws {
        let result = try await verify(answering: 200, #"{"hello":"world"}"#)
        guard case .failure(.unexpectedAnswer(exchange: "OKX", status: 200, _)) = result else {
            Issue.record("expected an unexpected answer, got \(result)")
            return
        }
        let empty = try await verify(answering: 200, #"{"code":"0","msg":"","data":[]}"#)
        guard case .failure(.unexpectedAnswer(exchange: "OKX", status: 200, _)) = empty else {
            Issue.record("expected an unexpected answer, got \(empty)")
            return
        }
    }
}
