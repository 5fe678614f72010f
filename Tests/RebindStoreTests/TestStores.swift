import Foundation
import GRDB
import Logging
import PostgresNIO
import RebindCore
import Testing

@testable import RebindPostgres
@testable import RebindSQLite

/// What the storage tests need of a store: both ports and the secrets rotation.
typealias TestableStore = ChatStore & EventStore & SealedSecretStore & SlackInstallationStore & StoreInspection & RetentionStore & ConsoleStore

/// Reads only tests need, so they live here rather than in the app's ports: what is due, what
/// is waiting, which messages an incident left. Both stores answer them.
protocol StoreInspection: Sendable {
    func dueNotices(now: Date, limit: Int) async throws -> [DueNotice]
    func deliveryTargets(ofUser userID: String, incidentID: String) async throws -> [DeliveryTarget]
    func incidentMessageID(incidentID: String, chat: ChatAddress) async throws -> String?
    func pendingUpdates(after afterID: Int64, limit: Int) async throws -> [InboundUpdate]
}

extension StoreInspection {
    /// The oldest unprocessed updates.
    func pendingUpdates(limit: Int) async throws -> [InboundUpdate] {
        try await pendingUpdates(after: 0, limit: limit)
    }
}

extension SQLiteStore: StoreInspection {
    /// A new database at `path` with the schema as it was before `migration`, to lay out the
    /// rows an older release left and check what the migration makes of them.
    static func queue(at path: String, before migration: String) throws -> DatabaseQueue {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        let index = try #require(migrator.migrations.firstIndex(of: migration))
        try migrator.migrate(queue, upTo: migrator.migrations[index - 1])
        return queue
    }
}
extension PostgresStore: StoreInspection {}

/// The stores the behavioural tests run on: SQLite always, PostgreSQL when
/// `REBIND_TEST_POSTGRES_URL` names a server (scripts/test.sh starts one and sets it).
enum StoreKind: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var available: [StoreKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["REBIND_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var testDescription: String { rawValue }
}

/// One test's database: a new SQLite file, or a new schema on the PostgreSQL server, with
/// every store opened on it shut down and the schema dropped at the end.
final class StoreFixture: Sendable {
    let kind: StoreKind
    let policy: IncidentPolicy
    let place: String
    let store: any TestableStore
    private let opened: OpenedStores

    private init(kind: StoreKind, policy: IncidentPolicy, place: String, store: any TestableStore, opened: OpenedStores) {
        self.kind = kind
        self.policy = policy
        self.place = place
        self.store = store
        self.opened = opened
    }

    /// `prepare` gets the database's place (the SQLite path or the PostgreSQL schema) before the
    /// store opens it, to lay it out as an earlier version left it.
    static func make(_ kind: StoreKind, policy: IncidentPolicy, prepare: ((String) async throws -> Void)? = nil) async throws -> StoreFixture {
        let opened = OpenedStores()
        switch kind {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-store-\(UUID().uuidString)/rebind.sqlite").path
            try await prepare?(path)
            let store = try SQLiteStore(configuration: .init(path: path, incidentPolicy: policy))
            return StoreFixture(kind: kind, policy: policy, place: path, store: store, opened: opened)
        case .postgres:
            let schema = "rebind_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            do {
                try await prepare?(schema)
            } catch {
                try await PostgresTesting.dropSchema(schema)
                throw error
            }
            let store = try await opened.postgres(try PostgresTesting.configuration(schema: schema, policy: policy))
            return StoreFixture(kind: kind, policy: policy, place: schema, store: store, opened: opened)
        }
    }

    /// Another store on the same database: a restart, or a second replica.
    func another() async throws -> any TestableStore {
        switch kind {
        case .sqlite: try SQLiteStore(configuration: .init(path: place, incidentPolicy: policy))
        case .postgres: try await opened.postgres(try PostgresTesting.configuration(schema: place, policy: policy))
        }
    }

    /// A second PostgreSQL store on this test's schema, as another replica.
    func replica() async throws -> PostgresStore {
        try await opened.postgres(try PostgresTesting.configuration(schema: place, policy: policy))
    }

    func close() async throws {
        await opened.shutdownAll()
        switch kind {
        case .postgres: try await PostgresTesting.dropSchema(place)
        // The test's own directory; a store still open keeps reading its unlinked files.
        case .sqlite: try? FileManager.default.removeItem(at: URL(fileURLWithPath: place).deletingLastPathComponent())
        }
    }
}

/// The PostgreSQL stores a test opened, each running in a task the test owns, stopped at its end.
actor OpenedStores {
    private var running: [Task<Void, Never>] = []

    /// A running store with its schema migrated; throws at once when the database cannot be reached.
    func postgres(_ configuration: PostgresStore.Configuration) async throws -> PostgresStore {
        let store = PostgresStore(configuration: configuration)
        let task = Task<Void, Never> { try? await store.run() }
        do {
            _ = try await store.migrate()
        } catch {
            task.cancel()
            await task.value
            throw error
        }
        running.append(task)
        return store
    }

    func shutdownAll() async {
        for task in running {
            task.cancel()
            await task.value
        }
        running = []
    }
}

enum PostgresTesting {
    static func configuration(schema: String?, policy: IncidentPolicy = IncidentPolicy()) throws -> PostgresStore.Configuration {
        guard let url = StoreKind.postgresURL else { throw PostgresStore.Error.invalidURL(reason: "REBIND_TEST_POSTGRES_URL is not set") }
        var configuration = try PostgresStore.Configuration(url: url, incidentPolicy: policy)
        configuration.schema = schema
        configuration.maximumConnections = 8
        // Thousands of concurrent ingests queue for a connection longer than production's wait.
        configuration.connectionWait = .seconds(60)
        return configuration
    }

    static func dropSchema(_ schema: String) async throws {
        try await withClient { client in
            // A test's own generated name: safe to stand in DDL.
            try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"))
        }
    }

    /// A bare client on the test server, outside any store.
    @discardableResult
    static func withClient<Result: Sendable>(
        schema: String? = nil,
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: try configuration(schema: schema).client)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

/// Runs `body` on a fresh store of `kind`, then closes it whatever happened.
func withStore(
    _ kind: StoreKind,
    policy: IncidentPolicy = IncidentPolicy(),
    _ body: (any TestableStore) async throws -> Void
) async throws {
    try await withFixture(kind, policy: policy) { try await body($0.store) }
}

func withFixture(
    _ kind: StoreKind,
    policy: IncidentPolicy = IncidentPolicy(),
    prepare: ((String) async throws -> Void)? = nil,
    _ body: (StoreFixture) async throws -> Void
) async throws {
    let fixture = try await StoreFixture.make(kind, policy: policy, prepare: prepare)
    do {
        try await body(fixture)
    } catch {
        try await fixture.close()
        throw error
    }
    try await fixture.close()
}
