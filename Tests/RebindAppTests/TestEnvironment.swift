import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RebindApp
import RebindCore
import RebindCrypto
import RebindRendering
import RebindSQLite
import Synchronization

/// A test clock that stands still until told to move.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    /// When set, time also runs as the wall clock does, from the start given.
    private let running: ContinuousClock.Instant?

    init(_ start: Date, running: Bool = false) {
        current = Mutex(start)
        self.running = running ? ContinuousClock.now : nil
    }

    var now: Date {
        let base = current.withLock { $0 }
        guard let running else { return base }
        return base.addingTimeInterval((ContinuousClock.now - running).seconds)
    }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// The application wired as in production, on a temporary SQLite file, with the repo's real
/// templates and a clock the test controls.
struct TestEnvironment {
    static let secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let start = Date(timeIntervalSince1970: 1_795_685_400)
    static var templatesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("templates")
    }

    /// The repository's templates, read and parsed once for every test: each environment doing
    /// it again held a cooperative thread for ~80 ms, hundreds of times over in a run.
    static let repositoryRenderer = Result { try GuidanceRenderer(templatesDirectory: templatesDirectory) }

    let clock: TestClock
    let secret: WebhookSecret
    let configuration: RebindConfiguration
    let dependencies: AppDependencies
    let directory: URL

    /// - Parameters:
    ///   - clock: the clock to use (shared with fakes, or across a restart); by default one that
    ///     stands still, or runs when there are chat dependencies.
    ///   - directory: where the SQLite files are: another environment's, to restart on them.
    init(
        store: (any EventStore)? = nil,
        environment: [String: String] = [:],
        clock: TestClock? = nil,
        directory: URL? = nil,
        chat: ((RebindConfiguration, SQLiteStore) throws -> ChatDependencies)? = nil
    ) throws {
        // Background services pace by the clock, so with them it runs.
        self.clock = clock ?? TestClock(Self.start, running: chat != nil)
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("rebind-app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        secret = try WebhookSecret(Self.secretText, variable: "TEST")
        // Port 0: each test's listeners on free ports, the admin one too.
        var variables = ["REBIND_EVENTS_SECRET": Self.secretText, "REBIND_HTTP_PORT": "0", "REBIND_ADMIN_PORT": "0"]
        variables.merge(environment) { $1 }
        configuration = try RebindConfiguration.load(from: variables)
        let renderer = try Self.repositoryRenderer.get()
        // Wired as `AppDependencies.live` wires them: the store reports its commits to the metrics.
        let metrics = RebindMetrics()
        var settings = SQLiteStore.Configuration(
            path: self.directory.appendingPathComponent("rebind.sqlite").path,
            incidentPolicy: configuration.incidentPolicy,
            expiryPolicy: ExpiryPolicy(catalogue: renderer.catalogue, schedule: configuration.expirySchedule)
        )
        settings.observeCommits = { metrics.storeCommitted($0) }
        let sqlite = try SQLiteStore(configuration: settings)
        let clock = self.clock
        dependencies = AppDependencies(
            store: store ?? sqlite,
            renderer: renderer,
            metrics: metrics,
            chat: try chat?(configuration, sqlite),
            now: { clock.now }
        )
    }

    var store: any EventStore { dependencies.store }

    func application() -> some ApplicationProtocol {
        var logger = Logger(label: "rebind-test")
        logger.logLevel = .critical
        return application(logger: logger)
    }

    func application(logger: Logger) -> some ApplicationProtocol {
        buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
    }

    /// The admin listener on the same dependencies (so the same store and metrics).
    func adminApplication() -> some ApplicationProtocol {
        buildAdminApplication(configuration: configuration, dependencies: dependencies, logger: Self.quietLogger)
    }

    /// Asks the admin listener for `path`, as an operator would, while the public application runs.
    func admin(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await Self.admin(path, configuration: configuration, dependencies: dependencies, headers: headers)
    }

    static func admin(
        _ path: String,
        configuration: RebindConfiguration,
        dependencies: AppDependencies,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        let app = buildAdminApplication(configuration: configuration, dependencies: dependencies, logger: quietLogger)
        return try await app.test(.router) { client in try await client.execute(uri: path, method: .get, headers: headers) }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "rebind-test")
        logger.logLevel = .critical
        return logger
    }

    /// Headers of a correctly signed event.
    func signedHeaders(id: String, body: Data, at date: Date? = nil, contentType: String? = "application/json") -> HTTPFields {
        let timestamp = Int64((date ?? clock.now).timeIntervalSince1970)
        var headers: HTTPFields = [
            HTTPField.Name("webhook-id")!: id,
            HTTPField.Name("webhook-timestamp")!: String(timestamp),
            HTTPField.Name("webhook-signature")!: StandardWebhooks.sign(id: id, timestamp: timestamp, body: body, secret: secret),
        ]
        if let contentType { headers[.contentType] = contentType }
        return headers
    }

    static func event(
        type: String = "robot.paused",
        user: String = "u_1001",
        account: String = "acc_42",
        exchange: String = "binance",
        robot: String = "rb_7",
        text: String = "Pause: Invalid API key operation permission",
        code: String? = "-2015"
    ) -> Data {
        var object: [String: Any] = [
            "type": type,
            "occurred_at": "2026-11-26T09:30:00Z",
            "user": ["id": user, "locale": "en", "telegram_chat_id": 123_456_789],
            "account": ["id": account, "exchange": exchange, "label": "Main", "api_key_hint": "h8A", "bound_at": "2026-09-27T08:00:00Z"],
            "robot": ["id": robot, "name": "BTC/USDT Grid \(robot)"],
        ]
        if type == "robot.paused" || type == "robot.stopped" {
            var reason: [String: Any] = ["text": text]
            if let code { reason["code"] = code }
            object["reason"] = reason
        }
        // Sorted keys: the same event is the same bytes, as a platform's retry would be.
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}

/// A store that is down.
struct UnavailableStore: EventStore {
    struct Down: Error {}
    func ingest(_ event: IncomingEvent) async throws -> IngestOutcome { throw Down() }
    func checkReady() async throws { throw Down() }
    func containsEvent(id: String) async throws -> Bool { throw Down() }
    func eventCount() async throws -> Int { throw Down() }
    func openIncidents(userID: String, accountID: String) async throws -> [Incident] { throw Down() }
    func incident(id: String) async throws -> Incident? { throw Down() }
    func pendingNotices() async throws -> [PendingNotice] { throw Down() }
    func binding(accountID: String) async throws -> Binding? { throw Down() }
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }

    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
}
