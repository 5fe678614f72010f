import Foundation

/// The trading platform's binding endpoint on loopback: `POST /v1/api-bindings` taking the
/// signed binding updates Rebind sends (DESIGN §3).
///
/// It receives them as a real platform would: the Standard Webhooks signature is checked
/// with its own secret and clock (401 when wrong, missing or stale), the body must be JSON
/// (415) in the binding update's shape (400 naming the field), and `webhook-id` is the
/// idempotency key — a repeated id is answered 2xx again and recorded as a duplicate, not
/// applied twice. Every correctly signed update is recorded with what was answered; the
/// behaviour (changeable while running) says what that answer is.
public final class FakePlatformServer: Sendable {
    public static let path = "/v1/api-bindings"

    public enum Behaviour: Sendable, Equatable {
        /// Applies every correctly signed update; answers `status` with
        /// `{"id": "<webhook-id>", "duplicate": false|true}`.
        case accept(status: Int = 202)
        /// Answers the first `count` correctly signed updates with `status` (and
        /// `Retry-After: retryAfter` when given) and an error body, then accepts with 202.
        case failFirst(Int, status: Int, retryAfter: String? = nil)
        /// Refuses every correctly signed update with `status` and
        /// `{"error": {"code": code, "message": message}}`.
        case refuse(status: Int = 422, code: String = "binding_rejected", message: String = "The API key belongs to another account")
        /// Reads the request and never answers.
        case hang
        /// Closes the connection without answering.
        case drop
    }

    /// A correctly signed, well-formed update and what the fake answered.
    public struct Delivery: Sendable, Equatable {
        public var webhookID: String
        public var webhookTimestamp: String
        public var webhookSignature: String
        public var update: ReceivedBindingUpdate
        /// Headers and raw body, exactly as received.
        public var request: RecordedRequest
        public var status: Int
        /// The id had already been applied: answered 2xx, not applied again.
        public var isDuplicate: Bool

        public var rawBody: Data { request.body }
        /// Taken and applied: a 2xx for an id not seen before.
        public var isApplied: Bool { (200..<300).contains(status) && !isDuplicate }
    }

    /// A correctly signed `api_binding.expiring` event.
    public struct ExpiringDelivery: Sendable, Equatable {
        public var webhookID: String
        public var event: ReceivedExpiringEvent
        public var request: RecordedRequest
        public var isDuplicate: Bool
    }

    /// A request refused before its update was looked at: bad signature, not JSON, bad shape.
    public struct Rejection: Sendable, Equatable {
        public var status: Int
        public var code: String
        public var reason: String
        public var request: RecordedRequest
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case malformedSecret

        public var description: String {
            switch self {
            case .malformedSecret: "the fake platform's secret must be whsec_ followed by base64"
            }
        }
    }

    private let server: LoopbackHTTPServer
    private let rules: Rules

    private init(server: LoopbackHTTPServer, rules: Rules) {
        self.server = server
        self.rules = rules
    }

    /// Starts the server.
    /// - Parameters:
    ///   - secret: the platform's `whsec_…` secret, the text Rebind is configured with.
    ///   - now: the platform's clock, for the signature's 300-second window.
    public static func start(
        secret: String,
        behaviour: Behaviour = .accept(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> FakePlatformServer {
        guard let check = WebhookSignatureCheck(secret: secret, now: now) else { throw Error.malformedSecret }
        let rules = Rules(check: check, behaviour: behaviour)
        let server = try await LoopbackHTTPServer.start { request in rules.reply(to: request) }
        return FakePlatformServer(server: server, rules: rules)
    }

    /// Runs `body` with a started server and shuts it down afterwards.
    public static func withServer<Result: Sendable>(
        secret: String,
        behaviour: Behaviour = .accept(),
        now: @escaping @Sendable () -> Date = { Date() },
        _ body: (FakePlatformServer) async throws -> Result
    ) async throws -> Result {
        try await withShutdown(try await start(secret: secret, behaviour: behaviour, now: now), shutdown: { try await $0.shutdown() }, body)
    }

    /// `http://127.0.0.1:PORT/v1/api-bindings`, for `REBIND_PLATFORM_URL`.
    public var url: String { server.baseURL + Self.path }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { server.baseURL }

    /// What it does with the next correctly signed update. Setting it starts a `failFirst`
    /// count afresh.
    public var behaviour: Behaviour {
        get { rules.behaviour }
        set { rules.behaviour = newValue }
    }

    /// Every correctly signed, well-formed update received, in order, with its answer.
    public func deliveries() -> [Delivery] { rules.deliveries }

    /// The updates applied: one per webhook-id, duplicates and failed attempts left out.
    public func appliedUpdates() -> [ReceivedBindingUpdate] { rules.deliveries.filter(\.isApplied).map(\.update) }

    /// Requests refused before their update was looked at, in order.
    public func rejections() -> [Rejection] { rules.rejections }

    /// Every correctly signed `api_binding.expiring` received, in order.
    public func expiringEvents() -> [ExpiringDelivery] { rules.expiring }

    /// Every request received, in order, as it came: refused, hung and dropped ones too.
    public func requests() -> [RecordedRequest] { server.requests() }

    public func shutdown() async throws {
        try await server.shutdown()
    }
}
