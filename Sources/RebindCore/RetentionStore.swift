import Foundation

/// What retention (DESIGN §7) may delete: finished records older than the cutoff, one small
/// batch per table per call, so a pass never holds the store for long and replicas may run
/// passes at once. Never an open incident, a pending notice or update, a live conversation
/// or a binding.
public protocol RetentionStore: Sendable {
    /// Deletes up to `batch` rows of each kind; the rows deleted, by table.
    func deleteFinished(_ cutoffs: RetentionCutoffs, batch: Int) async throws -> [RetentionTable: Int]
    /// Gives freed space back to the file system, a little at a time (SQLite's incremental
    /// vacuum); nothing for a server database, which reuses its space itself.
    func reclaimSpace() async throws
}

/// The tables retention deletes from, as the metric names them.
public enum RetentionTable: String, Sendable, CaseIterable, Comparable {
    case events
    case updates
    case notices
    case incidents
    case bindingUpdates = "binding_updates"
    case platformEvents = "platform_events"
    case links
    case checkFailures = "check_failures"

    public static func < (lhs: RetentionTable, rhs: RetentionTable) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// How old a finished record must be to go.
public struct RetentionCutoffs: Sendable, Equatable {
    /// Everything finished before this goes.
    public var finished: Date
    /// Processed chat updates go sooner: their ids deduplicate deliveries only for a bounded
    /// time, since Telegram may restart update ids after a quiet week.
    public var processedUpdates: Date

    /// Telegram may restart its update ids after a week without updates.
    public static let updateDeduplication: TimeInterval = 7 * 86_400

    public init(finished: Date, processedUpdates: Date) {
        self.finished = finished
        self.processedUpdates = processedUpdates
    }

    /// The cutoffs for records kept `days` days, at `now`.
    public init(days: Int, now: Date) {
        let kept = TimeInterval(days) * 86_400
        finished = now.addingTimeInterval(-kept)
        processedUpdates = now.addingTimeInterval(-min(kept, Self.updateDeduplication))
    }
}
