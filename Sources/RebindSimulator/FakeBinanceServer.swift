import Crypto
import Foundation
import RebindCore

/// Binance's spot API on loopback, as far as a key check goes: `GET /api/v3/time`, the
/// signed `GET /sapi/v1/account/apiRestrictions` and the signed `GET /api/v3/account` (whose
/// `uid` says which account the key belongs to), in Binance's wire format.
///
/// It checks every signed request the way Binance does — the key in `X-MBX-APIKEY`, the
/// `timestamp` against its own clock and `recvWindow`, then the hex HMAC-SHA256 of the query
/// string (less `signature`) followed by the body, under the key's secret — and answers a
/// failure with Binance's own code, message and HTTP status. A wrong secret therefore gets
/// `-1022` because the signature really does not match, not because a switch says so.
///
/// The key it knows is `apiKey` with `secret` (the published test vector's pair), of the
/// account `accountUID` (settable, so a test can make the same key another account's); the
/// scenario says what that key may do, or how the exchange misbehaves.
public final class FakeBinanceServer: Sendable {
    public enum Scenario: Sendable, Equatable {
        /// Reading and spot trading, IP whitelist including the caller, no withdrawals or futures.
        case workingKey
        /// As `workingKey`, with futures trading too.
        case futuresKey
        /// Reading and spot trading, no IP whitelist: Binance ends its trading in 30 days.
        case unrestrictedKey
        /// The key was deleted: every signed call answers `-2015`.
        case deletedKey
        /// Reading only.
        case readOnlyKey
        /// As `workingKey`, plus withdrawals.
        case withdrawEnabledKey
        /// The key's IP whitelist leaves out the caller: every signed call answers `-2015`,
        /// the restrictions call included.
        case ipRestricted
        /// Spot trading lapsed yesterday (`tradingAuthorityExpirationTime` in the past).
        case lapsedSpotTrading
        /// A working key, but the server's clock runs this far ahead of the caller's: a
        /// request stamped with the caller's time gets `-1021` until it syncs.
        case clockSkew(seconds: TimeInterval)
        /// HTTP 429, `-1003`, on everything.
        case rateLimited
        /// HTTP 418: the IP is banned for ignoring 429s.
        case ipBanned
        /// HTTP 503 on everything.
        case unavailable
        /// Accepts requests and never answers.
        case hang
    }

    /// The published test vector's API key.
    public static let apiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    /// The published test vector's secret.
    public static let secret = Secret("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    /// The address Binance would see; loopback here.
    static let callerIP = "127.0.0.1"
    /// The account the key belongs to unless a test says otherwise (Binance's documentation example).
    public static let defaultAccountUID: Int64 = 354_937_868

    public let scenario: Scenario
    private let server: LoopbackHTTPServer
    private let uid: SharedValue<Int64>

    private init(scenario: Scenario, server: LoopbackHTTPServer, uid: SharedValue<Int64>) {
        self.scenario = scenario
        self.server = server
        self.uid = uid
    }

    /// Starts the server. `now` is the caller's clock; the server's is that plus any skew.
    public static func start(
        _ scenario: Scenario,
        accountUID: Int64 = defaultAccountUID,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> FakeBinanceServer {
        let skew: TimeInterval = if case .clockSkew(let seconds) = scenario { seconds } else { 0 }
        let uid = SharedValue(accountUID)
        let rules = Rules(scenario: scenario, now: { now().addingTimeInterval(skew) }, accountUID: { uid.value })
        let server = try await LoopbackHTTPServer.start { request in rules.reply(to: request) }
        return FakeBinanceServer(scenario: scenario, server: server, uid: uid)
    }

    /// Runs `body` with a started server and shuts it down afterwards.
    public static func withServer<Result: Sendable>(
        _ scenario: Scenario,
        accountUID: Int64 = defaultAccountUID,
        now: @escaping @Sendable () -> Date = { Date() },
        _ body: (FakeBinanceServer) async throws -> Result
    ) async throws -> Result {
        try await withShutdown(try await start(scenario, accountUID: accountUID, now: now), shutdown: { try await $0.shutdown() }, body)
    }

    /// The id of the account the key belongs to, as `GET /api/v3/account` answers it. Setting
    /// it makes the same key another account's from the next request on.
    public var accountUID: Int64 {
        get { uid.value }
        set { uid.value = newValue }
    }

    /// `http://127.0.0.1:PORT`, for `REBIND_BINANCE_API_URL`.
    public var baseURL: String { server.baseURL }

    /// Every request received so far, in order.
    public func requests() -> [RecordedRequest] { server.requests() }

    public func shutdown() async throws {
        try await server.shutdown()
    }

    /// What Binance does with each request.
    struct Rules: Sendable {
        let scenario: Scenario
        let now: @Sendable () -> Date
        let accountUID: @Sendable () -> Int64

        func reply(to request: RecordedRequest) -> FakeReply {
            switch scenario {
            case .hang: return .hang
            case .rateLimited:
                return .respond(
                    status: 429,
                    headers: [("Content-Type", "application/json"), ("Retry-After", "60")],
                    body: Self.error(
                        -1003,
                        "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
                    )
                )
            case .ipBanned:
                return .respond(
                    status: 418,
                    headers: [("Content-Type", "application/json"), ("Retry-After", "120")],
                    body: Self.error(
                        -1003,
                        "Way too much request weight used; IP banned until 1700000000000. Please use WebSocket Streams for live updates to avoid bans."
                    )
                )
            case .unavailable:
                return .json(503, Self.error(-1001, "Internal error; unable to process your request. Please try again."))
            default:
                break
            }
            guard request.method == "GET" else { return .respond(status: 405) }
            switch request.pathWithoutQuery {
            case "/api/v3/time":
                return .json(200, #"{"serverTime":\#(Self.milliseconds(now()))}"#)
            case "/sapi/v1/account/apiRestrictions":
                if let refusal = checkSigned(request) { return refusal }
                return .json(200, restrictions())
            case "/api/v3/account":
                if let refusal = checkSigned(request) { return refusal }
                return .json(200, account())
            default:
                return .respond(status: 404)
            }
        }

        /// Binance's checks of a SIGNED request, in its order; nil when it passes.
        func checkSigned(_ request: RecordedRequest) -> FakeReply? {
            guard let key = request.header("X-MBX-APIKEY"), key.count == 64, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                return .json(401, Self.error(-2014, "API-key format invalid."))
            }
            guard key == FakeBinanceServer.apiKey, scenario != .deletedKey else {
                return .json(401, Self.error(-2015, "Invalid API-key, IP, or permissions for action."))
            }
            let query = request.path.firstIndex(of: "?").map { String(request.path[request.path.index(after: $0)...]) } ?? ""
            let items = request.queryItems
            guard let signature = items.first(where: { $0.name == "signature" })?.value, !signature.isEmpty else {
                return .json(400, Self.error(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."))
            }
            guard let timestampText = items.first(where: { $0.name == "timestamp" })?.value, let timestamp = Int64(timestampText) else {
                return .json(400, Self.error(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."))
            }
            let recvWindow = items.first(where: { $0.name == "recvWindow" })?.value.flatMap { Int64($0) } ?? 5000
            guard recvWindow <= 60_000 else {
                return .json(400, Self.error(-1131, "recvWindow must be less than 60000"))
            }
            let serverTime = Self.milliseconds(now())
            guard timestamp < serverTime + 1000, serverTime - timestamp <= recvWindow else {
                return .json(400, Self.error(-1021, "Timestamp for this request is outside of the recvWindow."))
            }
            // totalParams: the query string without its signature, followed by the body.
            let signed = query.split(separator: "&", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("signature=") }.joined(separator: "&")
            guard let mac = Self.bytes(hex: signature),
                HMAC<SHA256>.isValidAuthenticationCode(
                    mac,
                    authenticating: Data((signed + request.bodyText).utf8),
                    using: SymmetricKey(data: Data(FakeBinanceServer.secret.value.utf8))
                )
            else {
                return .json(400, Self.error(-1022, "Signature for this request is not valid."))
            }
            if scenario == .ipRestricted {
                return .json(401, Self.error(-2015, "Invalid API-key, IP, or permissions for action, request ip: \(FakeBinanceServer.callerIP)"))
            }
            return nil
        }

        func restrictions() -> String {
            let now = now()
            let day: TimeInterval = 86_400
            var ipRestrict = true
            var spot = true
            var futures = false
            var withdrawals = false
            var expiration: Date?
            switch scenario {
            case .futuresKey: futures = true
            case .unrestrictedKey:
                ipRestrict = false
                expiration = now.addingTimeInterval(30 * day)
            case .readOnlyKey: spot = false
            case .withdrawEnabledKey: withdrawals = true
            case .lapsedSpotTrading:
                ipRestrict = false
                spot = false
                expiration = now.addingTimeInterval(-day)
            default: break
            }
            var fields = [
                #""ipRestrict":\#(ipRestrict)"#,
                #""createTime":\#(Self.milliseconds(now.addingTimeInterval(-40 * day)))"#,
                #""enableInternalTransfer":false"#,
                #""enableFutures":\#(futures)"#,
                #""enablePortfolioMarginTrading":false"#,
                #""enableVanillaOptions":false"#,
                #""permitsUniversalTransfer":false"#,
                #""enableReading":true"#,
                #""enableSpotAndMarginTrading":\#(spot)"#,
                #""enableWithdrawals":\#(withdrawals)"#,
                #""enableMargin":false"#,
                #""enableFixApiTrade":false"#,
                #""enableFixReadOnly":false"#,
            ]
            if let expiration { fields.append(#""tradingAuthorityExpirationTime":\#(Self.milliseconds(expiration))"#) }
            return "{" + fields.joined(separator: ",") + "}"
        }

        /// `GET /api/v3/account` with `omitZeroBalances=true`: the account's id is a JSON number.
        func account() -> String {
            #"""
            {"makerCommission":10,"takerCommission":10,"buyerCommission":0,"sellerCommission":0,\#
            "commissionRates":{"maker":"0.00100000","taker":"0.00100000","buyer":"0.00000000","seller":"0.00000000"},\#
            "canTrade":true,"canWithdraw":true,"canDeposit":true,"brokered":false,"requireSelfTradePrevention":false,\#
            "preventSor":false,"updateTime":\#(Self.milliseconds(now())),"accountType":"SPOT",\#
            "balances":[{"asset":"USDT","free":"1234.56000000","locked":"0.00000000"}],"permissions":["SPOT"],\#
            "uid":\#(accountUID())}
            """#
        }

        static func error(_ code: Int, _ message: String) -> Data {
            Data(#"{"code":\#(code),"msg":"\#(message)"}"#.utf8)
        }

        static func milliseconds(_ date: Date) -> Int64 {
            Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        }

        static func bytes(hex: String) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count.isMultiple(of: 2) else { return nil }
            var bytes: [UInt8] = []
            for index in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(byte)
            }
            return bytes
        }
    }
}
