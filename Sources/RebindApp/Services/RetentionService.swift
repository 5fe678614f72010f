import Foundation
import Logging
import RebindCore
import ServiceLifecycle

/// Deletes what is finished and older than `REBIND_RETENTION_DAYS` (DESIGN §7), in small
/// batches so ingest and delivery never wait long, then gives the space back (SQLite). Safe
/// on several replicas at once: each batch deletes what it finds, and what another replica
/// holds is skipped.
struct RetentionService: Service {
    let store: any RetentionStore
    let days: Int
    let metrics: RebindMetrics
    /// Between passes; a pass runs at start-up too.
    var interval: Duration = .seconds(600)
    /// Rows per table per transaction.
    var batch = 500
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await pass()
            // A shutdown ends the wait at once: the service group waits for this service.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass: batches until no table has a full one left.
    @discardableResult
    func pass() async -> [RetentionTable: Int] {
        let cutoffs = RetentionCutoffs(days: days, now: now())
        var total: [RetentionTable: Int] = [:]
        do {
            while !Task.isCancelledOrShuttingDown {
                let deleted = try await store.deleteFinished(cutoffs, batch: batch)
                for (table, count) in deleted where count > 0 {
                    total[table, default: 0] += count
                    metrics.retentionDeleted(table: table, count: count)
                }
                guard deleted.values.contains(where: { $0 >= batch }) else { break }
                // Let the writers in between batches.
                await Task.yield()
            }
            if !total.isEmpty {
                try await store.reclaimSpace()
                logger.info(
                    "Retention deleted finished records",
                    metadata: Logger.Metadata(
                        uniqueKeysWithValues: total.sorted { $0.key < $1.key }.map { ("deleted.\($0.key.rawValue)", "\($0.value)") }
                    )
                )
            }
        } catch {
            logger.error("Retention pass failed; trying again at the next", metadata: ["error": "\(error)"])
        }
        return total
    }
}
