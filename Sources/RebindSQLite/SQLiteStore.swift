import CSQLiteSetup
import Foundation
import GRDB
import GRDBSQLite
import RebindCore

/// The embedded store: one SQLite file in WAL mode. Every write that belongs together (an
/// event, the incidents it changes, the notices it causes) commits in one transaction, and
/// concurrent ingests share commits through `GroupCommit`.
public final class SQLiteStore: EventStore {
    public enum Synchronous: String, Sendable, CaseIterable {
        /// Survives a crash of the process; the last commits may be lost if the machine
        /// loses power (the log is synced at checkpoints and, in the background, about
        /// `logSyncDelay` after ingested events commit; never before a commit is acknowledged).
        case normal
        /// Survives power loss: every commit is synced to disk before it is acknowledged.
        case full
    }

    public struct Configuration: Sendable {
        public var path: String
        public var synchronous: Synchronous
        public var incidentPolicy: IncidentPolicy
        /// How bindings' expiry is computed and when their warnings fall due.
        public var expiryPolicy: ExpiryPolicy
        /// Whether this process serves the file: it then releases the chats' lanes a crashed
        /// one held, and syncs the log in the background (`logSyncDelay`). A command run beside
        /// a serving process (`rebind notices replay`) must not release the lanes; a command
        /// needs no flusher.
        public var serves: Bool
        /// Told of every transaction of ingested events: how many, how long (the metrics).
        public var observeCommits: (@Sendable (CommitReport) -> Void)?
        /// With `normal`, how soon after ingested events commit the write-ahead log is synced
        /// in the background (`SQLiteLogFlusher`); `nil`, only at checkpoints. `full` syncs
        /// every commit and has no flusher.
        public var logSyncDelay: Duration? = .milliseconds(10)

        public init(
            path: String,
            synchronous: Synchronous = .normal,
            incidentPolicy: IncidentPolicy = IncidentPolicy(),
            expiryPolicy: ExpiryPolicy = ExpiryPolicy(),
            serves: Bool = true
        ) {
            self.path = path
            self.synchronous = synchronous
            self.incidentPolicy = incidentPolicy
            self.expiryPolicy = expiryPolicy
            self.serves = serves
        }
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        case corruptRow(table: String, detail: String)
        case updatesWaiting(count: Int)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): "Cannot open the SQLite database at \(path): \(reason)"
            case .corruptRow(let table, let detail): "A row of \(table) could not be read: \(detail)"
            case .updatesWaiting(let count):
                "\(count) chat updates are still waiting; start the service to process them, stop it, then rotate"
            }
        }
    }

    let pool: DatabasePool
    let configuration: Configuration
    let book: IncidentBook
    let expiryPolicy: ExpiryPolicy
    private let committer: GroupCommit<IncomingEvent, IngestOutcome>
    /// Syncs the log between checkpoints (`normal`, a serving process).
    let logFlusher: SQLiteLogFlusher?

    /// SQLite's process-wide options, set once before this process opens its first connection
    /// (`rebind_sqlite_setup`): no memory statistics, so no global mutex per allocation.
    /// `SQLITE_MISUSE` when something opened SQLite first; it then runs as it was built.
    static let processSetup = rebind_sqlite_setup()

    /// Opens (creating if needed) the database and brings its schema up to date.
    public init(configuration: Configuration) throws {
        _ = Self.processSetup
        var config = GRDB.Configuration()
        config.busyMode = .timeout(10)
        let synchronous = configuration.synchronous.rawValue.uppercased()
        config.prepareDatabase { db in
            // A new file shrinks as retention deletes rows. This takes effect only before the
            // file's first table (here, before WAL mode writes its header); an older file keeps
            // its mode until `rebind migrate` switches it with one VACUUM.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Temporary files (statement journals, sorts) in memory: written to disk, they were
            // the largest part of the writer's CPU (bench/README.md, issue 15). The writer
            // switches once migrations have run (below).
            if db.configuration.readonly { try db.execute(sql: "PRAGMA temp_store = MEMORY") }
        }
        let directory = URL(fileURLWithPath: configuration.path).deletingLastPathComponent()
        let logPath: String?
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            pool = try DatabasePool(path: configuration.path, configuration: config)
            // Migrations keep their temporary files on disk: a table rebuilt in one holds the
            // old table's pages in the statement journal of its DROP TABLE, 660 MB of memory
            // for a million stored events (v16_inbox_row_key).
            try Self.migrator.migrate(pool)
            // GRDB puts the writer in WAL mode with synchronous=NORMAL after
            // prepareDatabase runs, so the durability setting is applied here, on the writer.
            logPath = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                // The log as SQLite names it (beside the file a symbolic link points to).
                return sqlite3_db_filename(db.sqliteConnection, "main").flatMap { sqlite3_filename_wal($0) }.map { String(cString: $0) }
            }
            // One process serves an SQLite file: whoever held chats' lanes before is gone, so
            // a restart after a crash does not wait for their leases to run out.
            if configuration.serves { try pool.write { db in try db.execute(sql: "DELETE FROM lane_leases") } }
        } catch {
            throw Error.cannotOpen(path: configuration.path, reason: String(describing: error))
        }
        self.configuration = configuration
        book = IncidentBook(policy: configuration.incidentPolicy)
        expiryPolicy = configuration.expiryPolicy
        let pool = self.pool
        let book = self.book
        let expiryPolicy = self.expiryPolicy
        let logFlusher = configuration.logSyncDelay.flatMap { delay in
            configuration.serves && configuration.synchronous == .normal
                ? SQLiteLogFlusher(logPath: logPath ?? configuration.path + "-wal", delay: delay) : nil
        }
        self.logFlusher = logFlusher
        committer = GroupCommit(observe: configuration.observeCommits) { events in
            let outcomes = await Self.write(events, book: book, expiryPolicy: expiryPolicy, pool: pool)
            logFlusher?.committed()
            return outcomes
        }
    }

    deinit {
        logFlusher?.stop()
    }

    /// Writes a batch of events in one transaction. No savepoint per event: a savepoint's
    /// statements and sub-journal cost more than the rare retry (bench/README.md, issue 15).
    /// When an event fails, the batch is undone and each event is written again in a
    /// transaction of its own, so the failing one fails alone and its batch mates are kept.
    static func write(
        _ events: [IncomingEvent],
        book: IncidentBook,
        expiryPolicy: ExpiryPolicy,
        pool: DatabasePool
    ) async -> [Result<IngestOutcome, any Swift.Error>] {
        do {
            return try await pool.write { db in
                try events.map { .success(try ingest($0, book: book, expiryPolicy: expiryPolicy, in: db)) }
            }
        } catch {
            guard events.count > 1 else { return [.failure(error)] }
            var outcomes: [Result<IngestOutcome, any Swift.Error>] = []
            for event in events {
                do {
                    outcomes.append(.success(try await pool.write { db in try ingest(event, book: book, expiryPolicy: expiryPolicy, in: db) }))
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
        }
    }

    /// Applies pending migrations without opening for service, for `rebind migrate`.
    public static func migrate(path: String) throws -> [String] {
        let store = try SQLiteStore(configuration: Configuration(path: path, serves: false))
        return try store.pool.read { db in try migrator.appliedIdentifiers(db).sorted() }
    }

    public func ingest(_ event: IncomingEvent) async throws -> IngestOutcome {
        try await committer.submit(event)
    }

    /// The writer connection's `PRAGMA synchronous` (1 normal, 2 full), for tests and doctor.
    public func synchronousLevel() async throws -> Int {
        try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func checkReady() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func containsEvent(id: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM inbox WHERE webhook_id = ?)", arguments: [id]) ?? false
        }
    }

    public func eventCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox") ?? 0 }
    }

    public func openIncidents(userID: String, accountID: String) async throws -> [Incident] {
        try await pool.read { db in try Self.openIncidents(userID: userID, accountID: accountID, in: db) }
    }

    public func incident(id: String) async throws -> Incident? {
        try await pool.read { db in
            try Self.fetchIncidents(sql: Self.incidentByIDSQL, id, in: db).first
        }
    }

    public func pendingNotices() async throws -> [PendingNotice] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM notices WHERE status = 'pending' ORDER BY due_at, id").map(Self.notice(from:))
        }
    }

    public func binding(accountID: String) async throws -> Binding? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM bindings WHERE account_id = ?", arguments: [accountID]).map(Self.binding(from:))
        }
    }
}
