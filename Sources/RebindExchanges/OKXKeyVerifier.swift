import Foundation
import Logging
import RebindCore

/// Checks an OKX key with `GET /api/v5/account/config`, signed with it (v5:
/// `OK-ACCESS-KEY`, `-SIGN`, `-TIMESTAMP`, `-PASSPHRASE`), judges `perm` and `ip` with
/// `KeyPolicy`, and reads the key's account id from `uid` (an answer without one is no
/// verdict: the account's id is never guessed).
///
/// A refusal, top-level or per item, is read through the reference table
/// (`ReasonClassifier`). `50102` (timestamp expired: more than 30 s from OKX's clock) is
/// Rebind's clock, not the key: the verifier reads OKX's server time
/// (`GET /api/v5/public/time`), corrects by the difference and asks once more.
public struct OKXKeyVerifier: KeyVerifier {
    public let exchange = "okx"
    static let name = "OKX"

    /// OKX deletes a key that can trade and has no IP bound after this many days unused.
    public let idleDeletionDaysWithoutIP: Int
    private let call: ExchangeCall
    private let now: @Sendable () -> Date
    private let policy = KeyPolicy()
    private let classifier = ReasonClassifier()

    static let configPath = "/api/v5/account/config"
    static let timestampExpired = "50102"
    /// OKX's codes for its own trouble (service unavailable, endpoint timeout, rate limit,
    /// systems busy, system error): no answer about the key.
    static let busyCodes: Set<String> = ["50001", "50004", "50011", "50013", "50026"]

    /// - Parameters:
    ///   - baseURL: `https://www.okx.com`, or a local server in tests (`REBIND_OKX_API_URL`).
    ///   - timeout: seconds each request may take.
    ///   - now: the clock requests are timestamped with.
    public init(
        baseURL: String,
        transport: any HTTPTransport,
        timeout: TimeInterval = 10,
        idleDeletionDaysWithoutIP: Int = 14,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "rebind.exchanges.okx")
    ) {
        self.call = ExchangeCall(exchangeName: Self.name, baseURL: baseURL, transport: transport, timeout: timeout, logger: logger)
        self.idleDeletionDaysWithoutIP = idleDeletionDaysWithoutIP
        self.now = now
    }

    public func verify(_ credentials: ExchangeCredentials, context: KeyCheckContext) async throws(KeyCheckError) -> KeyVerdict {
        guard ExchangeCall.isHeaderSafe(credentials.apiKey), ExchangeCall.isHeaderSafe(credentials.passphrase?.value ?? "") else {
            throw .unsendableCredentials(exchange: Self.name)
        }
        let signer = OKXSigner(secret: credentials.apiSecret)
        var answer = try await accountConfig(credentials, signer: signer, clockOffset: 0)
        if case .refused(let code, _) = answer, code == Self.timestampExpired {
            let offset = try await serverClockOffset()
            call.logger.debug("OKX clock offset measured", metadata: ["exchange.clock_offset": "\(offset)"])
            answer = try await accountConfig(credentials, signer: signer, clockOffset: offset)
            if case .refused(let code, _) = answer, code == Self.timestampExpired {
                throw .clockOutOfSync(exchange: Self.name)
            }
        }

        var verdict: KeyVerdict
        var metadata: Logger.Metadata = ["exchange.name": "okx", "key.hint": "\(credentials.keyHint)"]
        switch answer {
        case .items(let items):
            guard let config = items.first else {
                throw .unexpectedAnswer(exchange: Self.name, status: 200, reason: "the account configuration was empty")
            }
            let uid = config.uid.trimmingCharacters(in: .whitespaces)
            guard !uid.isEmpty else {
                throw .unexpectedAnswer(exchange: Self.name, status: 200, reason: "the account configuration named no account (uid)")
            }
            metadata["key.label"] = "\(config.label)"
            verdict = policy.verdict(
                for: config.permissions(idleDeletionDaysWithoutIP: idleDeletionDaysWithoutIP),
                context: context,
                now: now()
            )
            verdict.exchangeUID = uid
        case .refused(let code, let message):
            let cause = classifier.exchangeCause(code: code, message: message, exchange: exchange) ?? .unknown
            verdict = policy.refusal(cause, exchangeName: Self.name, code: code, message: message)
        }
        metadata["key.cause"] = "\(verdict.cause?.rawValue ?? "none")"
        call.logger.debug("OKX key checked", metadata: metadata)
        return verdict
    }

    private func accountConfig(
        _ credentials: ExchangeCredentials,
        signer: OKXSigner,
        clockOffset: TimeInterval
    ) async throws(KeyCheckError) -> OKXAnswer<OKXAccountConfig> {
        let timestamp = OKXSigner.timestamp(now().addingTimeInterval(clockOffset))
        let headers = signer.headers(
            apiKey: credentials.apiKey,
            passphrase: credentials.passphrase,
            timestamp: timestamp,
            method: "GET",
            requestPath: Self.configPath
        )
        let response = try await call.get(Self.configPath, headers: headers)
        return try read(response)
    }

    private func read<Item>(_ response: HTTPResponse) throws(KeyCheckError) -> OKXAnswer<Item> {
        guard let answer = OKXAnswer<Item>.read(response.body) else {
            throw .unexpectedAnswer(
                exchange: Self.name,
                status: response.status,
                reason: ExchangeCall.unreadable(response, what: "not OKX's v5 JSON")
            )
        }
        if case .refused(let code, _) = answer, Self.busyCodes.contains(code) {
            throw .busy(exchange: Self.name, status: response.status)
        }
        return answer
    }

    /// `GET /api/v5/public/time`: `{"code": "0", "data": [{"ts": "1597026383085"}]}`.
    private func serverClockOffset() async throws(KeyCheckError) -> TimeInterval {
        struct ServerTime: Decodable, Sendable { var ts: String }
        let askedAt = now()
        let response = try await call.get("/api/v5/public/time", headers: [])
        let answeredAt = now()
        let answer: OKXAnswer<ServerTime> = try read(response)
        guard case .items(let items) = answer, let text = items.first?.ts, let milliseconds = Int64(text) else {
            throw .unexpectedAnswer(
                exchange: Self.name,
                status: response.status,
                reason: ExchangeCall.unreadable(response, what: "the server time did not decode")
            )
        }
        let serverTime = Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
        return ExchangeCall.clockOffset(serverTime: serverTime, askedAt: askedAt, answeredAt: answeredAt)
    }
}
