import GRDB

/// Copies the write-ahead log back into the database file on a connection of its own, so the
/// one writer that every ingest waits on no longer does it between two commits.
///
/// Left to itself, SQLite's writer checkpoints after any commit that finds the log past 1,000
/// pages (4 MB, a fraction of a second of ingest under load): it writes the pages into the
/// database file and syncs it, and every event of the next batch waits meanwhile. While a
/// checkpointer runs, the writer's own threshold is raised to `backstopPages`: the checkpointer
/// does the copying (PASSIVE: beside the writer and the readers, never blocking them), and the
/// writer still checkpoints when the log reaches the backstop, which copies only what the
/// checkpointer has not yet and lets the log start again from its beginning (a log is reset
/// only when a checkpoint has caught up before the next write). Durability is unchanged:
/// a commit is in the log (and synced with `full`) before it is acknowledged, and a checkpoint
/// cut short by a crash is redone from the log when the file is next opened.
public final class SQLiteCheckpointer: Sendable {
    /// The writer's threshold while a checkpointer runs: 10,000 pages (40 MB with 4 KiB pages).
    public static let backstopPages = 10_000
    /// SQLite's default, restored when the checkpointer stops.
    public static let defaultPages = 1_000

    private let connection: DatabaseQueue
    private let writer: DatabasePool

    init(path: String, synchronous: SQLiteStore.Synchronous, writer: DatabasePool) throws {
        var configuration = GRDB.Configuration()
        // A checkpoint syncs as the writer's commits do: the log before the copy, the file after.
        let level = synchronous.rawValue.uppercased()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(level)") }
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.writer = writer
    }

    /// What one checkpoint found and did, in log frames (pages).
    public struct Frames: Sendable, Equatable {
        /// Frames in the log.
        public var inLog: Int
        /// Of those, frames now in the database file.
        public var copied: Int
    }

    /// Hands the checkpoints to this checkpointer: the writer checkpoints only at the backstop.
    public func takeOver() async throws {
        try await writer.writeWithoutTransaction { db in try db.execute(sql: Self.threshold(Self.backstopPages)) }
    }

    /// Gives the checkpoints back to the writer, as when no checkpointer runs. Synchronous
    /// (one pragma on the writer), so a service whose task is already cancelled can still do it
    /// on its way out.
    public func handBack() throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: Self.threshold(Self.defaultPages)) }
    }

    private static func threshold(_ pages: Int) -> String { "PRAGMA wal_autocheckpoint = \(pages)" }

    /// The writer's `wal_autocheckpoint`, for tests.
    public func writerThreshold() async throws -> Int {
        try await writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
    }

    /// The checkpointing connection's `PRAGMA synchronous` (1 normal, 2 full), for tests.
    public func synchronousLevel() async throws -> Int {
        try await connection.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// One passive checkpoint: copies what the log holds and no reader still needs.
    @discardableResult
    public func checkpoint() async throws -> Frames {
        try await connection.writeWithoutTransaction { db in
            let result = try db.checkpoint(.passive)
            return Frames(inLog: result.walFrameCount, copied: result.checkpointedFrameCount)
        }
    }
}

extension SQLiteStore {
    /// A checkpointer on this store's file (see `SQLiteCheckpointer`).
    public func makeCheckpointer() throws -> SQLiteCheckpointer {
        try SQLiteCheckpointer(path: configuration.path, synchronous: configuration.synchronous, writer: pool)
    }
}
