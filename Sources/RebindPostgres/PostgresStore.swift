import Foundation
import Logging
import PostgresNIO
import RebindCore
import ServiceLifecycle

/// The store for several replicas on one PostgreSQL database, with the SQLite store's
/// behaviour: an event, the incidents it changes and the notices it causes commit in one
/// transaction before `ingest` returns; repeated ids are caught by unique keys. What the
/// SQLite store gets from its single writer, this one gets from row locks: events of one user
/// and account are grouped one at a time whichever replica they reach, and notices are claimed
/// with `FOR UPDATE SKIP LOCKED`.
///
/// The store is a `Service`: `run()` runs its connection pool (and the migrations, as soon as
/// the pool is up) until the service group shuts down, after the services that use it.
/// Commands and tests that have no service group use `withStore`. Every operation waits for
/// the migrations.
public final class PostgresStore: EventStore, ChatStore, SealedSecretStore, Service {
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
            case .statementFailed(let server, let sqlState, let message):
                "PostgreSQL at \(server) refused a statement: \(message) (SQLSTATE \(sqlState))"
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
    private let schema: SchemaGate
    /// Concurrent ingests share transactions, as on SQLite.
    let committer: GroupCommit<IncomingEvent, IngestOutcome>

    /// Returns at once; nothing runs until `run()`. Operations wait for the migrations, and
    /// fail as `unreachable` while the pool is not running or the database cannot be reached.
    public init(configuration: Configuration, logger: Logger = Logger(label: "rebind.postgres")) {
        self.configuration = configuration
        self.logger = logger
        let book = IncidentBook(policy: configuration.incidentPolicy)
        self.book = book
        client = PostgresClient(configuration: configuration.client, backgroundLogger: logger)
        let connections = Connections(client: client, configuration: configuration, logger: logger)
        let schema = SchemaGate { try await Self.migrate(connections) }
        self.schema = schema
        // A batch mostly waits on its round trips to the server: a second in flight keeps both
        // busy (more make batches smaller and cost more per event: bench/README.md, issue 15).
        // They cannot deadlock: each takes its grouping locks in one sorted statement.
        committer = GroupCommit(maxBatch: 128, maxConcurrent: 2, observe: configuration.observeCommits) { events in
            _ = try await schema.applied()
            return await Self.ingest(events, book: book, expiryPolicy: configuration.expiryPolicy, connections: connections, logger: logger)
        }
    }

    /// Runs the connection pool until cancelled or until the service group shuts down, and
    /// migrates as soon as it can (a database that is down is migrated by the first operation
    /// after it is back).
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Nothing leases a connection before the pool runs (PostgresNIO warns, and the
                // first lease waits): the schema gate opens as the pool starts.
                await self.schema.poolStarted()
                await self.client.run()
            }
            group.addTask {
                do {
                    _ = try await self.schema.applied()
                } catch {
                    self.logger.warning("Migrations not applied yet; the next operation tries again", metadata: ["error": "\(error)"])
                }
            }
            // Outside a service group this waits for cancellation.
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Runs a store for the length of `body`, its schema migrated first: fails at once when
    /// the database cannot be reached or migrated (for `rebind migrate`, `keys rotate`,
    /// `doctor` and tests).
    public static func withStore<T: Sendable>(
        configuration: Configuration,
        logger: Logger = Logger(label: "rebind.postgres"),
        _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let store = PostgresStore(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            _ = try await store.schema.applied()
            return try await body(store)
        }
    }

    /// Applies pending migrations and returns every applied version, for `rebind migrate`.
    public func migrate() async throws -> [String] {
        try await schema.applied()
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
            try await connection.first("SELECT count(*) AS count FROM inbox", logger: self.logger, table: "inbox") { try $0("count", as: Int.self) }
                ?? 0
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
                "SELECT * FROM notices WHERE status = 'pending' ORDER BY due_at, id",
                logger: self.logger,
                table: "notices",
                Self.notice(from:)
            )
        }
    }

    public func binding(accountID: String) async throws -> Binding? {
        try await withConnection { connection in
            try await connection.first(
                "SELECT * FROM bindings WHERE account_id = \(accountID)",
                logger: self.logger,
                table: "bindings",
                Self.binding(from:)
            )
        }
    }
}

/// Runs the migrations once; a failed run (the database was down) is tried again by the next
/// caller, so a replica started before its database recovers by itself. The first caller
/// migrates in its own task; callers meanwhile wait for it.
actor SchemaGate {
    private let migrate: @Sendable () async throws -> [String]
    private var done: [String]?
    private var migrating = false
    private var started = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(migrate: @escaping @Sendable () async throws -> [String]) {
        self.migrate = migrate
    }

    /// The store's pool is starting: migrations (and so every operation) may go ahead.
    func poolStarted() {
        started = true
        wakeWaiters()
    }

    func applied() async throws -> [String] {
        while !started || migrating {
            await withCheckedContinuation { waiting.append($0) }
        }
        if let done { return done }
        migrating = true
        defer {
            migrating = false
            wakeWaiters()
        }
        let versions = try await migrate()
        done = versions
        return versions
    }

    private func wakeWaiters() {
        for waiter in waiting { waiter.resume() }
        waiting.removeAll()
    }
}
