import Foundation
import Logging
import ServiceLifecycle

/// The loop both outboxes run (incident notices, binding updates): while the service runs,
/// claim what is due (under a lease, so another replica does not take it meanwhile), hand the
/// batch to the outbox's senders, and sleep until woken or the idle wait passes. What an
/// outbox claims, how it sends and how it records a failure (`RetryPolicy.afterFailure`, then
/// retry or dead-letter) are its own.
struct OutboxLoop<Item: Sendable>: Sendable {
    /// Names the outbox in logs.
    let name: String
    /// Claims due items; `mayHaveMore` when the claim was full and more may be waiting.
    let claim: @Sendable () async throws -> (items: [Item], mayHaveMore: Bool)
    /// Starts sending a claimed batch, in tasks of the group.
    let dispatch: @Sendable ([Item], inout DiscardingTaskGroup) async -> Void
    /// Housekeeping before each pass (scheduling reminders, pruning pacers).
    var beforePass: @Sendable () async -> Void = {}
    /// Whether work is ready without claiming (items handed back by finished senders).
    var moreReady: @Sendable () -> Bool = { false }
    /// How long to sleep when there is nothing to do.
    let idleWait: @Sendable () -> Duration
    let wakeup: Wakeup
    let logger: Logger

    func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelledOrShuttingDown {
                await beforePass()
                var claimed: (items: [Item], mayHaveMore: Bool) = ([], false)
                do {
                    claimed = try await claim()
                } catch {
                    // A store that is briefly unavailable must not stop the service.
                    logger.error("Outbox not read", metadata: ["outbox": "\(name)", "error": "\(error)"])
                }
                if !claimed.items.isEmpty {
                    await dispatch(claimed.items, &group)
                }
                if !claimed.items.isEmpty || claimed.mayHaveMore || moreReady() { continue }
                await wakeup.wait(timeout: idleWait())
            }
        }
    }
}
