import Logging
import RebindSQLite
import ServiceLifecycle

/// Runs SQLite's checkpoints beside the writer instead of on it (`SQLiteCheckpointer`) while
/// the service runs, and gives them back to the writer when it stops.
struct SQLiteCheckpointService: Service {
    let checkpointer: SQLiteCheckpointer
    /// Between two checkpoints. Under load the log grows by a few MB in this time; idle, a
    /// checkpoint finds nothing to copy and does no I/O.
    var interval: Duration = .milliseconds(200)
    let logger: Logger

    func run() async throws {
        do {
            try await checkpointer.takeOver()
        } catch {
            logger.error("The SQLite checkpointer could not start; the writer keeps checkpointing", metadata: ["error": "\(error)"])
            return
        }
        var failing = false
        while !Task.isCancelledOrShuttingDown {
            do {
                try await checkpointer.checkpoint()
                if failing { logger.notice("SQLite checkpoints work again") }
                failing = false
            } catch {
                // The writer's backstop still bounds the log meanwhile.
                if !failing { logger.warning("SQLite checkpoint failed; trying again", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        // The writer gets its threshold back before the process goes on without a checkpointer.
        do {
            try checkpointer.handBack()
        } catch {
            logger.warning("The SQLite writer could not take checkpoints back", metadata: ["error": "\(error)"])
        }
    }
}
