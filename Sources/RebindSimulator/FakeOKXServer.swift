import Crypto
import Foundation
import RebindCore

/// OKX's v5 API on loopback, as far as a key check goes: `GET /api/v5/public/time` and the
/// signed `GET /api/v5/account/config`, in OKX's wire format.
///
/// It checks every signed request the way OKX does — `OK-ACCESS-KEY`, the
/// `OK-ACCESS-TIMESTAMP` within 30 seconds of its own clock, `OK-ACCESS-PASSPHRASE`, then
/// `OK-ACCESS-SIGN` as Base64(HMAC-SHA256(timestamp + method + path with query + body))
/// under the key's secret, then the IP whitelist — and answers a failure with OKX's own
/// code and message, HTTP 401. A wrong secret or passphrase therefore gets `50113` or
/// `50105` because it really does not match.
///
/// The key it knows is `apiKey` with `secret` (the documentation's example secret) and
/// `passphrase`, of the account `accountUID` (settable, so a test can make the same key another
/// account's; `account/config` answers it as `uid`); the scenario says what that key may do, or
/// how the exchange misbehaves.
public final class FakeOKXServer: Sendable {
    public enum Scenario: Sendable, Equatable {
        /// `read_only,trade`, with an IP whitelist that includes the caller.
        case workingKey
        /// `read_only,trade` with no IP bound: OKX deletes it after 14 days unused.
        case tradeKeyWithoutIP
        /// The key was deleted: `50111`.
        case deletedKey
        /// `read_only`.
        case readOnlyKey
        /// `read_only,trade,withdraw`.
        case withdrawEnabledKey
        /// The key's IP whitelist leaves out the caller: `50110`.
        case ipRestricted
        /// A working key, but the server's clock runs this far ahead of the caller's: a
        /// request stamped with the caller's time gets `50102` until it syncs.
        case clockSkew(seconds: TimeInterval)
        /// HTTP 429, `50011`, on everything.
        case rateLimited
        /// HTTP 503, `50001`, on everything.
        case unavailable
        /// Accepts requests and never answers.
        case hang
    }

    /// A key in OKX's format (OKX does not document one; its keys look like UUIDs).
    public static let apiKey = "6f2c9a4e-3b1d-4c8e-9a7f-2d5e8b1c4a90"
    /// The secret of OKX's documentation example.
    public static let secret = Secret("22582BD0CFF14C41EDBF1AB98506286D")
    public static let passphrase = Secret("Rebind-Test-2026")
    public static let label = "rebind-test"
    /// The address OKX would see; loopback here.
    static let callerIP = "127.0.0.1"
    /// The account the key belongs to unless a test says otherwise (OKX's documentation example).
    public static let defaultAccountUID = "44705892343619584"

    public let scenario: Scenario
    private let server: LoopbackHTTPServer
    private let uid: SharedValue<String>

    private init(scenario: Scenario, server: LoopbackHTTPServer, uid: SharedValue<String>) {
        self.scenario = scenario
        self.server = server
        self.uid = uid
    }

    /// Starts the server. `now` is the caller's clock; the server's is that plus any skew.
    public static func start(
        _ scenario: Scenario,
        accountUID: String = defaultAccountUID,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> FakeOKXServer {
        let skew: TimeInterval = if case .clockSkew(let seconds) = scenario { seconds } else { 0 }
        let uid = SharedValue(accountUID)
        let rules = Rules(scenario: scenario, now: { now().addingTimeInterval(skew) }, accountUID: { uid.value })
        let server = try await LoopbackHTTPServer.start { request in rules.reply(to: request) }
        return FakeOKXServer(scenario: scenario, server: server, uid: uid)
    }

    /// Runs `body` with a started server and shuts it down afterwards.
    public static func withServer<Result: Sendable>(
        _ scenario: Scenario,
        accountUID: String = defaultAccountUID,
        now: @escaping @Sendable () -> Date = { Date() },
        _ body: (FakeOKXServer) async throws -> Result
    ) async throws -> Result {
        try await withShutdown(try await start(scenario, accountUID: accountUID, now: now), shutdown: { try await $0.shutdown() }, body)
    }

    /// The id of the account the key belongs to, as `account/config` answers it (`uid`; its
    /// `mainUid` stays the documentation's). Setting it makes the same key another account's
    /// from the next request on.
    public var accountUID: String {
        get { uid.value }
        set { uid.value = newValue }
    }

    /// `http://127.0.0.1:PORT`, for `REBIND_OKX_API_URL`.
    public var baseURL: String { server.baseURL }

    /// Every request received so far, in order.
    public func requests() -> [RecordedRequest] { server.requests() }

    public func shutdown() async throws {
        try await server.shutdown()
    }

    /// What OKX does with each request.
    struct Rules: Sendable {
        let scenario: Scenario
        let now: @Sendable () -> Date
        let accountUID: @Sendable () -> String

        func reply(to request: RecordedRequest) -> FakeReply {
            switch scenario {
            case .hang: return .hang
            case .rateLimited: return .json(429, Self.error("50011", "Too Many Requests"))
            case .unavailable: return .json(503, Self.error("50001", "Service temporarily unavailable. Please try again later."))
            default: break
            }
            guard request.method == "GET" else { return .json(405, Self.error("50000", "Body for POST request cannot be empty.")) }
            switch request.pathWithoutQuery {
            case "/api/v5/public/time":
                return .json(200, #"{"code":"0","msg":"","data":[{"ts":"\#(Self.milliseconds(now()))"}]}"#)
            case "/api/v5/account/config":
                if let refusal = checkSigned(request) { return refusal }
                return .json(200, #"{"code":"0","msg":"","data":[\#(config())]}"#)
            default:
                return .json(404, Self.error("50115", "Invalid request method."))
            }
        }

        /// OKX's checks of a signed request, in its order; nil when it passes.
        func checkSigned(_ request: RecordedRequest) -> FakeReply? {
            func header(_ name: String) -> String? {
                request.header(name).flatMap { $0.isEmpty ? nil : $0 }
            }
            guard let key = header("OK-ACCESS-KEY") else {
                return .json(401, Self.error("50103", #"Request header "OK-ACCESS-KEY" cannot be empty."#))
            }
            guard let passphrase = header("OK-ACCESS-PASSPHRASE") else {
                return .json(401, Self.error("50104", #"Request header "OK-ACCESS-PASSPHRASE" cannot be empty."#))
            }
            guard let signature = header("OK-ACCESS-SIGN") else {
                return .json(401, Self.error("50106", #"Request header "OK-ACCESS-SIGN" cannot be empty."#))
            }
            guard let timestamp = header("OK-ACCESS-TIMESTAMP") else {
                return .json(401, Self.error("50107", #"Request header "OK-ACCESS-TIMESTAMP" cannot be empty."#))
            }
            guard let sentAt = Self.date(timestamp) else {
                return .json(401, Self.error("50112", "Invalid OK-ACCESS-TIMESTAMP."))
            }
            guard key == FakeOKXServer.apiKey, scenario != .deletedKey else {
                return .json(401, Self.error("50111", "Invalid OK-ACCESS-KEY."))
            }
            guard abs(now().timeIntervalSince(sentAt)) <= 30 else {
                return .json(401, Self.error("50102", "Timestamp request expired."))
            }
            // Digests compare in constant time.
            guard SHA256.hash(data: Data(passphrase.utf8)) == SHA256.hash(data: Data(FakeOKXServer.passphrase.value.utf8)) else {
                return .json(401, Self.error("50105", #"Request header "OK-ACCESS-PASSPHRASE" incorrect."#))
            }
            let prehash = timestamp + request.method + request.path + request.bodyText
            guard let mac = Data(base64Encoded: signature),
                HMAC<SHA256>.isValidAuthenticationCode(
                    mac,
                    authenticating: Data(prehash.utf8),
                    using: SymmetricKey(data: Data(FakeOKXServer.secret.value.utf8))
                )
            else {
                return .json(401, Self.error("50113", "Invalid signature."))
            }
            if scenario == .ipRestricted {
                return .json(401, Self.error("50110", "Your IP \(FakeOKXServer.callerIP) is not included in your API key's IP whitelist."))
            }
            return nil
        }

        func config() -> String {
            var perm = "read_only,trade"
            var ip = "203.0.113.7,\(FakeOKXServer.callerIP)"
            switch scenario {
            case .tradeKeyWithoutIP: ip = ""
            case .readOnlyKey: perm = "read_only"
            case .withdrawEnabledKey: perm = "read_only,trade,withdraw"
            case .ipRestricted: ip = "203.0.113.7"
            default: break
            }
            return #"""
                {"acctLv":"2","autoLoan":false,"ctIsoMode":"automatic","enableSpotBorrow":false,"greeksType":"PA",\#
                "ip":"\#(ip)","kycLv":"2","label":"\#(FakeOKXServer.label)","level":"Lv1","levelTmp":"",\#
                "liquidationGear":"-1","mainUid":"44705892343619584","mgnIsoMode":"automatic","opAuth":"0",\#
                "perm":"\#(perm)","posMode":"net_mode","roleType":"0","spotBorrowAutoRepay":false,"spotOffsetType":"",\#
                "spotRoleType":"0","spotTraderInsts":[],"traderInsts":[],"type":"0","uid":"\#(accountUID())"}
                """#
        }

        static func error(_ code: String, _ message: String) -> Data {
            // OKX's refusals carry no data: {"msg":"Invalid OK-ACCESS-KEY.","code":"50111"}.
            (try? JSONSerialization.data(withJSONObject: ["msg": message, "code": code], options: [.sortedKeys])) ?? Data()
        }

        /// `2020-12-08T09:08:57.715Z`; OKX wants the milliseconds.
        static func date(_ text: String) -> Date? {
            guard text.count == 24, text.hasSuffix("Z") else { return nil }
            return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }

        static func milliseconds(_ date: Date) -> Int64 {
            Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        }
    }
}
