import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindHTTP
import RebindPlatform
import RebindSimulator
import Synchronization

/// Updates, keys and a secret as the tests use them.
enum Fixture {
    /// An OKX key in OKX's formats: a UUID key, a 32-character hex secret, a chosen passphrase.
    static let okxCredentials = ExchangeCredentials(
        apiKey: "5d3f1a2b-8c4e-4f6a-9b1d-2e3f4a5b6c7d",
        apiSecret: Secret("9F3A0C6E1B7D4E2F8A5C3B1D0E9F7A6C"),
        passphrase: Secret("Tr4d3r-Pass!2026")
    )
    static let binanceCredentials = ExchangeCredentials(apiKey: FakeBinanceServer.apiKey, apiSecret: FakeBinanceServer.secret)

    /// Every value of a key that must stay out of logs and errors.
    static func values(of credentials: ExchangeCredentials) -> [String] {
        [credentials.apiKey, credentials.apiSecret.value] + (credentials.passphrase.map { [$0.value] } ?? [])
    }

    static let occurredAt = Date(timeIntervalSince1970: 1_795_685_400)  // 2026-11-26T09:30:00Z
    static let checkedAt = Date(timeIntervalSince1970: 1_795_685_352)  // 2026-11-26T09:29:12Z
    static let tradingExpiresAt = Date(timeIntervalSince1970: 1_798_277_352)  // 2026-12-26T09:29:12Z

    /// The update of DESIGN §3's example: an OKX key for acc_42, robots rb_7 and rb_8.
    static let okxUpdate = BindingUpdate(
        occurredAt: occurredAt,
        userID: "u_1001",
        accountID: "acc_42",
        exchange: "okx",
        credentials: okxCredentials,
        verification: KeyVerdict(cause: nil, canTrade: true, canWithdraw: false, ipRestricted: false, tradingExpiresAt: nil),
        checkedAt: checkedAt,
        robotIDs: ["rb_7", "rb_8"]
    )

    /// A Binance key with no IP whitelist, whose trading Binance ends on a known day.
    static let binanceUpdate = BindingUpdate(
        occurredAt: occurredAt,
        userID: "u_1001",
        accountID: "acc_7",
        exchange: "binance",
        credentials: binanceCredentials,
        verification: KeyVerdict(cause: nil, canTrade: true, canWithdraw: false, ipRestricted: false, tradingExpiresAt: tradingExpiresAt),
        checkedAt: checkedAt,
        robotIDs: ["rb_9"]
    )

    static let webhookID = "msg_2Q8fVxH7kLr3aNcT5bWm"

    /// The platform's secret: the `whsec_` text the fake holds and the parsed one Rebind signs with.
    static func platformSecret() -> (secret: WebhookSecret, text: String) {
        WebhookSecret.generate()
    }
}

/// The transport binding updates go through. The default timeout is far longer than any answer
/// from the fake takes, even when a loaded machine runs it late; tests of a hanging fake pass a short one.
func testTransport(timeout: TimeInterval = 45, logger: Logger = Logger(label: "rebind.test.curl")) throws -> CurlTransport {
    try CurlTransport(configuration: .init(connectTimeout: 2, timeout: timeout), logger: logger)
}

/// Runs one publish and returns its outcome instead of throwing it.
func outcome(of publish: () async throws(PublishError) -> Void) async -> Result<Void, PublishError> {
    do throws(PublishError) {
        try await publish()
        return .success(())
    } catch {
        return .failure(error)
    }
}

extension Result where Failure == PublishError {
    var error: PublishError? {
        if case .failure(let error) = self { error } else { nil }
    }
}

/// A clock that moves on by `step` each time it is read: each attempt gets its own
/// `webhook-timestamp` without the test waiting for one.
final class SteppingClock: Sendable {
    private let reads = Mutex(0)
    private let start: Date
    private let step: TimeInterval

    init(start: Date = Date(), step: TimeInterval = 1) {
        self.start = start
        self.step = step
    }

    func now() -> Date {
        let count = reads.withLock { reads in
            defer { reads += 1 }
            return reads
        }
        return start.addingTimeInterval(TimeInterval(count) * step)
    }
}
