import Foundation
import Logging
import RebindCore

/// Checks a Binance key with `GET /sapi/v1/account/apiRestrictions`, signed with it, and
/// judges the answer with `KeyPolicy`.
///
/// A refusal is read through the reference table (`ReasonClassifier`). `-2015` from the
/// restrictions call itself means the key is gone or the server's IP is not on its
/// whitelist. `-1021` (timestamp outside `recvWindow`) is Rebind's clock, not the key: the
/// verifier reads Binance's server time (`GET /api/v3/time`), corrects by the difference and
/// asks once more.
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
        var answer = try await restrictions(apiKey: credentials.apiKey, signer: signer, clockOffset: 0)
        if case .refused(let code, _) = answer, code == Self.timestampOutsideRecvWindow {
            let offset = try await serverClockOffset()
            call.logger.debug("Binance clock offset measured", metadata: ["exchange.clock_offset": "\(offset)"])
            answer = try await restrictions(apiKey: credentials.apiKey, signer: signer, clockOffset: offset)
            if case .refused(let code, _) = answer, code == Self.timestampOutsideRecvWindow {
                throw .clockOutOfSync(exchange: Self.name)
            }
        }

        let verdict: KeyVerdict
        switch answer {
        case .restrictions(let restrictions):
            verdict = policy.verdict(for: restrictions.permissions, context: context, now: now())
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

    enum Answer: Equatable {
        case restrictions(BinanceAPIRestrictions)
        case refused(code: Int, message: String)
    }

    private func restrictions(apiKey: String, signer: BinanceSigner, clockOffset: TimeInterval) async throws(KeyCheckError) -> Answer {
        let timestamp = Int64(((now().timeIntervalSince1970 + clockOffset) * 1000).rounded(.down))
        let query = signer.signedQuery([], timestamp: timestamp, recvWindow: recvWindow)
        let response = try await call.get("/sapi/v1/account/apiRestrictions?" + query, headers: [("X-MBX-APIKEY", apiKey)])
        return try read(response)
    }

    func read(_ response: HTTPResponse) throws(KeyCheckError) -> Answer {
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
            return .restrictions(try decoder.decode(BinanceAPIRestrictions.self, from: response.body))
        } catch {
            throw .unexpectedAnswer(
                exchange: Self.name,
                status: response.status,
                reason: ExchangeCall.unreadable(response, what: "the API restrictions did not decode")
            )
        }
    }

    /// `GET /api/v3/time`: `{"serverTime": 1499827319559}`.
    private func serverClockOffset() async throws(KeyCheckError) -> TimeInterval {
        struct ServerTime: Decodable { var serverTime: Int64 }
        let askedAt = now()
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
        return ExchangeCall.clockOffset(serverTime: serverTime, askedAt: askedAt, answeredAt: answeredAt)
    }
}
