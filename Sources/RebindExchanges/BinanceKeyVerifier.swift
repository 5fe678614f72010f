import Foundation
import Logging
import RebindCore

/// Checks a Binance key with `GET /sapi/v1/account/apiRestrictions`, signed with it, and
/// judges the answer with `KeyPolicy`; then reads the id of the key's account (`uid`) from
/// `GET /api/v3/account`, so one check says whose key it is.
///
/// A refusal is read through the reference table (`ReasonClassifier`). `-2015` from the
/// restrictions call itself means the key is gone or the server's IP is not on its
/// whitelist; from the account call, after the restrictions answered, the restrictions' flags
/// decide (`KeyPolicy.resolveBinanceInvalidKey`). `-1021` (timestamp outside `recvWindow`) is
/// Rebind's clock, not the key: the verifier reads Binance's server time (`GET /api/v3/time`),
/// corrects by the difference and asks once more. An account call that gets no answer is no
/// verdict, like any other: the account's id is never guessed.
public struct BinanceKeyVerifier: KeyVerifier {
    public let exchange = "binance"
    static let name = "Binance"

    public let recvWindow: Int
    private let call: ExchangeCall
    private let now: @Sendable () -> Date
    private let policy = KeyPolicy()
    private let classifier = ReasonClassifier()

    /// Binance's codes for its own trouble (unknown error, disconnected, too many requests,
    /// timeout, overloaded, too many orders): no answer about the key.
    static let busyCodes: Set<Int> = [-1000, -1001, -1003, -1007, -1008, -1015]

    /// - Parameters:
    ///   - baseURL: `https://api.binance.com`, or a local server in tests
    ///     (`REBIND_BINANCE_API_URL`).
    ///   - recvWindow: milliseconds Binance accepts the request after its timestamp (max 60000).
    ///   - timeout: seconds each request may take.
    ///   - now: the clock requests are timestamped with and expiry is judged against.
    public init(
        baseURL: String,
        transport: any HTTPTransport,
        recvWindow: Int = 5000,
        timeout: TimeInterval = 10,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "rebind.exchanges.binance")
    ) {
        self.recvWindow = min(max(recvWindow, 1), 60_000)
        self.call = ExchangeCall(exchangeName: Self.name, baseURL: baseURL, transport: transport, timeout: timeout, logger: logger)
        self.now = now
    }

    public func verify(_ credentials: ExchangeCredentials, context: KeyCheckContext) async throws(KeyCheckError) -> KeyVerdict {
        guard ExchangeCall.isHeaderSafe(credentials.apiKey) else { throw .unsendableCredentials(exchange: Self.name) }
        let signer = BinanceSigner(secret: credentials.apiSecret)
        var clockOffset: TimeInterval = 0
        let answer = try await signedGetInSync(Self.restrictionsPath, BinanceAPIRestrictions.self, credentials.apiKey, signer, &clockOffset)

        let verdict: KeyVerdict
        switch answer {
        case .answered(let restrictions):
            verdict = try await accountVerdict(restrictions, credentials: credentials, signer: signer, clockOffset: clockOffset, context: context)
        case .refused(let code, _) where code == Self.invalidKeyIPOrPermissions:
            // The restrictions call failed too: the key is gone, or this IP is not allowed.
            verdict = policy.resolveBinanceInvalidKey(restrictions: nil, context: context, now: now())
        case .refused(let code, let message):
            let cause = classifier.exchangeCause(code: String(code), message: message, exchange: exchange) ?? .unknown
            verdict = policy.refusal(cause, exchangeName: Self.name, code: String(code), message: message)
        }
        call.logger.debug(
            "Binance key checked",
            metadata: [
                "exchange.name": "binance", "key.hint": "\(credentials.keyHint)",
                "key.cause": "\(verdict.cause?.rawValue ?? "none")",
            ]
        )
        return verdict
    }

    static let timestampOutsideRecvWindow = -1021
    static let invalidKeyIPOrPermissions = -2015
    static let restrictionsPath = "/sapi/v1/account/apiRestrictions"
    static let accountPath = "/api/v3/account"

    /// The key's permissions judged, with the id of its account. The account call is signed
    /// with the clock offset the restrictions call settled on.
    private func accountVerdict(
        _ restrictions: BinanceAPIRestrictions,
        credentials: ExchangeCredentials,
        signer: BinanceSigner,
        clockOffset: TimeInterval,
        context: KeyCheckContext
    ) async throws(KeyCheckError) -> KeyVerdict {
        // Zero balances left out: only the account's id is read.
        var clockOffset = clockOffset
        let answer = try await signedGetInSync(
            Self.accountPath,
            BinanceAccount.self,
            credentials.apiKey,
            signer,
            &clockOffset,
            parameters: [("omitZeroBalances", "true")]
        )
        switch answer {
        case .answered(let account):
            var verdict = policy.verdict(for: restrictions.permissions, context: context, now: now())
            verdict.exchangeUID = account.exchangeUID
            return verdict
        case .refused(let code, _) where code == Self.invalidKeyIPOrPermissions:
            return policy.resolveBinanceInvalidKey(restrictions: restrictions.permissions, context: context, now: now())
        case .refused(let code, let message):
            let cause = classifier.exchangeCause(code: String(code), message: message, exchange: exchange) ?? .unknown
            return policy.refusal(cause, exchangeName: Self.name, code: String(code), message: message)
        }
    }

    enum Answer<Body: Decodable & Equatable>: Equatable {
        case answered(Body)
        case refused(code: Int, message: String)
    }

    /// `signedGet`, synchronised with Binance's clock when it refuses the timestamp (`-1021`):
    /// the offset is measured, kept in `clockOffset` for later calls, and the call made once
    /// more. Refused again: the clocks cannot be brought together.
    private func signedGetInSync<Body: Decodable & Equatable>(
        _ path: String,
        _ body: Body.Type,
        _ apiKey: String,
        _ signer: BinanceSigner,
        _ clockOffset: inout TimeInterval,
        parameters: [(name: String, value: String)] = []
    ) async throws(KeyCheckError) -> Answer<Body> {
        let answer = try await signedGet(path, body, apiKey, signer, clockOffset, parameters: parameters)
        guard case .refused(let code, _) = answer, code == Self.timestampOutsideRecvWindow else { return answer }
        clockOffset = try await serverClockOffset()
        call.logger.debug("Binance clock offset measured", metadata: ["exchange.clock_offset": "\(clockOffset)"])
        let again = try await signedGet(path, body, apiKey, signer, clockOffset, parameters: parameters)
        if case .refused(let code, _) = again, code == Self.timestampOutsideRecvWindow {
            throw .clockOutOfSync(exchange: Self.name)
        }
        return again
    }

    /// A signed `GET` of `path`, read as `Body` or as Binance's refusal.
    private func signedGet<Body: Decodable & Equatable>(
        _ path: String,
        _ body: Body.Type,
        _ apiKey: String,
        _ signer: BinanceSigner,
        _ clockOffset: TimeInterval,
        parameters: [(name: String, value: String)] = []
    ) async throws(KeyCheckError) -> Answer<Body> {
        let timestamp = Int64(((now().timeIntervalSince1970 + clockOffset) * 1000).rounded(.down))
        let query = signer.signedQuery(parameters, timestamp: timestamp, recvWindow: recvWindow)
        let response = try await call.get(path + "?" + query, headers: [("X-MBX-APIKEY", apiKey)])
        return try read(response, as: Body.self)
    }

    func read<Body: Decodable & Equatable>(_ response: HTTPResponse, as body: Body.Type) throws(KeyCheckError) -> Answer<Body> {
        let decoder = JSONDecoder()
        if let error = try? decoder.decode(BinanceErrorAnswer.self, from: response.body) {
            if Self.busyCodes.contains(error.code) { throw .busy(exchange: Self.name, status: response.status) }
            return .refused(code: error.code, message: error.msg)
        }
        guard response.isSuccess else {
            // A 403 from Binance's web application firewall, a proxy's page, a 404.
            throw .unexpectedAnswer(
                exchange: Self.name,
                status: response.status,
                reason: ExchangeCall.unreadable(response, what: "not Binance's error JSON")
            )
        }
        do {
            return .answered(try decoder.decode(Body.self, from: response.body))
        } catch {
            let what = Body.self == BinanceAccount.self ? "the account (its uid) did not decode" : "the API restrictions did not decode"
            throw .unexpectedAnswer(exchange: Self.name, status: response.status, reason: ExchangeCall.unreadable(response, what: what))
        }
    }

    /// `GET /api/v3/time`: `{"serverTime": 1499827319559}`.
    private func serverClockOffset() async throws(KeyCheckError) -> TimeInterval {
        struct ServerTime: Decodable { var serverTime: Int64 }
        let response = try await call.get("/api/v3/time", headers: [])
        let answeredAt = now()
        guard response.isSuccess, let time = try? JSONDecoder().decode(ServerTime.self, from: response.body) else {
            throw .unexpectedAnswer(
                exchange: Self.name,
                status: response.status,
                reason: ExchangeCall.unreadable(response, what: "the server time did not decode")
            )
        }
        let serverTime = Date(timeIntervalSince1970: TimeInterval(time.serverTime) / 1000)
        // Binance refuses a timestamp more than 1 s ahead of its clock, but takes one behind it
        // by up to `recvWindow`. The midpoint estimate is ahead when the question was slow to
        // arrive (a loaded machine, a slow network): read the time as of hearing back instead,
        // which can only be behind.
        return serverTime.timeIntervalSince(answeredAt)
    }
}
