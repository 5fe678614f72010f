import Foundation
import Logging
import PostgresNIO
import RebindCore

/// The store for several replicas on one PostgreSQL database, with the SQLite store's
/// behaviour: an event, the incidents it changes and the notices it causes commit in one
/// transaction before `ingest` returns; repeated ids are caught by unique keys. What the
/// SQLite store gets from its single writer, this one gets from row locks: events of one user
/// and account are grouped one at a time whichever replica they reach, and notices are claimed
/// with `FOR UPDATE SKIP LOCKED`.
///
/// The store owns its connection pool: the pool runs in a task started here, and `shutdown()`
/// stops it. Migrations start at once and every operation waits for them.
public final class PostgresStore: EventStore, ChatStore, SealedSecretStore {
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case invalidURL(reason: String)
        case unreachable(server: String, reason: String)
        case statementFailed(server: String, sqlState: String, message: String)
        case corruptRow(table: String, detail: String)
        case updatesWaiting(count: Int)

        public var description: String {
            switch self {
            case .invalidURL(let reason): "The PostgreSQL URL is not valid: \(reason)"
            case .unreachable(let server, let reason): "PostgreSQL at \(server) cannot be reached: \(reason)"
            case .statementFailed(let server, let sqlState, let message): "PostgreSQL at \(server) refused a statement: \(message) (SQLSTATE \(sqlState))"
            case .corruptRow(let table, let detail): "A row of \(table) could not be read: \(detail)"
            case .updatesWaiting(let count):
                "\(count) chat updates are still waiting; start the service to process them, stop it, then rotate"
            }
        }
    }

    public let configuration: Configuration
    let client: PostgresClient
    let book: IncidentBook
    let logger: Logger
    private let running: Task<Void, Never>
    private let schema: SchemaGate

    /// Starts the connection pool and the migrations; returns at once. Operations wait for
    /// the migrations, and fail as `unreachable` while the database cannot be reached.
    public init(configuration: Configuration, logger: Logger = Logger(label: "rebind.postgres")) {
        self.configuration = configuration
        self.logger = logger
        book = IncidentBook(policy: configuration.incidentPolicy)
        let client = PostgresClient(configuration: configuration.client, backgroundLogger: logger)
        self.client = client
        running = Task { await client.run() }
        let connections = Connections(client: client, configuration: configuration, logger: logger)
        schema = SchemaGate { try await Self.migrate(connections) }
        let schema = self.schema
        Task { _ = try? await schema.applied() }
    }

    /// Opens the store and waits for its schema: fails at once when the database cannot be
    /// reached or migrated (for `rebind migrate`, `keys rotate`, `doctor` and tests).
    public static func open(configuration: Configuration, logger: Logger = Logger(label: "rebind.postgres")) async throws -> PostgresStore {
        let store = PostgresStore(configuration: configuration, logger: logger)
        do {
            _ = try await store.schema.applied()
        } catch {
            await store.shutdown()
            throw error
        }
        return store
    }

    /// Applies pending migrations and returns every applied version, for `rebind migrate`.
    public func migrate() async throws -> [String] {
        try await schema.applied()
    }

    /// Stops the pool: running queries finish, new ones fail.
    public func shutdown() async {
        running.cancel()
        await running.value
    }

    var connections: Connections {
        Connections(client: client, configuration: configuration, logger: logger)
    }

    /// A connection once the schema is up to date.
    @discardableResult
    func withConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        _ = try await schema.applied()
        return try await connections.withConnection(body)
    }

    /// One transaction: committed when `body` returns, rolled back when it throws.
    @discardableResult
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        _ = try await schema.applied()
        return try await connections.transaction(body)
    }

    // MARK: EventStore

    public func checkReady() async throws {
        try await withConnection { connection in
            try await connection.query("SELECT 1", logger: self.logger).collect()
        }
    }

    public func containsEvent(id: String) async throws -> Bool {
        try await withConnection { connection in
            try await connection.first("SELECT EXISTS (SELECT 1 FROM inbox WHERE webhook_id = \(id))", logger: self.logger, table: "inbox") {
                try $0("exists", as: Bool.self)
            } ?? false
        }
    }

    public func eventCount() async throws -> Int {
        try await withConnection { connection in
            try await connection.first("SELECT count(*) AS count FROM inbox", logger: self.logger, table: "inbox") { try $0("count", as: Int.self) } ?? 0
        }
    }

    public func openIncidents(userID: String, accountID: String) async throws -> [Incident] {
        try await withConnection { connection in
            try await Self.openIncidents(userID: userID, accountID: accountID, on: connection, logger: self.logger)
        }
    }

    public func incident(id: String) async throws -> Incident? {
        try await withConnection { connection in
            try await connection.first("SELECT * FROM incidents WHERE id = \(id)", logger: self.logger, table: "incidents", Self.incident(from:))
        }
    }

    public func pendingNotices() async throws -> [PendingNotice] {
        try await withConnection { connection in
            try await connection.all(
                "SELECT * FROM notices WHERE status = 'pending' ORDER BY due_at, id", logger: self.logger, table: "notices", Self.notice(from:))
        }
    }

    public func binding(accountID: String) async throws -> Binding? {
        try await withConnection { connection in
            try await connection.first(
                "SELECT * FROM bindings WHERE account_id = \(accountID)", logger: self.logger, table: "bindings", Self.binding(from:))
        }
    }
}

/// Runs the migrations once; a failed run (the database was down) is tried again by the next
/// caller, so a replica started before its database recovers by itself.
actor SchemaGate {
    private let migrate: @Sendable () async throws -> [String]
    private var running: Task<[String], any Swift.Error>?
    private var done: [String]?

    init(migrate: @escaping @Sendable () async throws -> [String]) {
        self.migrate = migrate
    }

    func applied() async throws -> [String] {
        if let done { return done }
        let task = running ?? Task { try await migrate() }
        running = task
        do {
            let versions = try await task.value
            done = versions
            return versions
        } catch {
            if running == task { running = nil }
            throw error
        }
    }
}
