import Foundation
import Logging
import RebindCore
import RebindCrypto
import ServiceLifecycle
import Synchronization

/// Delivers queued binding updates to the platform: 2xx applies the key, another 4xx is a
/// refusal (the user finishes on the web), and 5xx, 408, 429, timeouts and dropped
/// connections are retried with backoff and jitter until the retry policy's time limit, then
/// dead-lettered (the user is told to finish on the web, and it is counted and logged).
///
/// Each update keeps its `webhook-id` across attempts, so a platform that applied an update
/// whose answer was lost sees the retry as the same update. Updates go at once, each in its
/// own task; a slow platform answer holds up only its own update.
///
/// The conversation waiting on an update learns the answer through its chat's lane: the
/// dispatcher writes the answer there as an input and never talks to the chat itself.
struct BindingDispatcher: Service {
    let store: any BindingOutbox
    let publisher: any BindingPublisher
    let inbox: LaneInbox
    let vault: CredentialVault
    let envelope: SecretEnvelope
    let retry: RetryPolicy
    let metrics: RebindMetrics
    let wakeup: Wakeup
    let idleWait: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    /// How long a claimed update stays taken; after a crash it falls due again then. Longer
    /// than a delivery can take (the platform's answer, then telling the user), so a slow one
    /// is not delivered twice.
    var lease: TimeInterval = 120
    /// Updates delivered at once, at most.
    var batch = 16
    /// Told each first answer, for a key form's request waiting on it.
    var answers: BindingAnswers?

    func run() async throws {
        let inFlight = InFlight()
        await OutboxLoop<QueuedBindingUpdate>(
            name: "binding updates",
            claim: {
                let room = batch - inFlight.ids.withLock { $0.count }
                guard room > 0 else { return ([], false) }
                return (try await store.claimBindingUpdates(now: now(), limit: room, leaseUntil: now().addingTimeInterval(lease)), false)
            },
            dispatch: { claimed, group in
                // Each update on its own: a platform call that hangs holds up only its own.
                for queued in claimed where inFlight.ids.withLock({ $0.insert(queued.id).inserted }) {
                    group.addTask {
                        await deliver(queued)
                        inFlight.ids.withLock { _ = $0.remove(queued.id) }
                        wakeup.poke()
                    }
                }
            },
            idleWait: { idleWait },
            wakeup: wakeup,
            logger: logger
        ).run()
    }

    func deliver(_ queued: QueuedBindingUpdate) async {
        let order: BindingOrder
        do {
            order = try BindingOrder.open(queued, envelope: envelope)
        } catch SecretEnvelope.Error.unknownKey(let id) {
            // A rotation rolling out: a replica with that key delivers it.
            logger.warning(
                "A queued binding update is sealed under a key this process lacks",
                metadata: ["binding.id": "\(queued.id)", "key.id": "\(id)"]
            )
            await handBack(queued, error: nil, after: 30)
            return
        } catch {
            // Sealed under a key this process doesn't have (or damaged): nothing to send.
            logger.error("A queued binding update could not be opened", metadata: ["binding.id": "\(queued.id)", "error": "\(error)"])
            await end(queued, as: .deadLettered, error: "unreadable: \(error)", tell: .refused)
            return
        }
        let outcome: Result<Void, PublishError>
        do {
            try await publisher.publish(order.update, id: queued.id)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // A shutdown during the call: the update is handed back, due at once at the next start.
        if Task.isCancelled {
            await handBack(queued, error: nil)
            return
        }
        switch outcome {
        case .success:
            logger.info("Binding update delivered", metadata: ["binding.id": "\(queued.id)", "account.id": "\(queued.accountID)"])
            do {
                // Kept only once the platform has the key: a refused key must not show as bound in /status.
                let update = order.update
                try await vault.keep(
                    update.credentials,
                    verdict: update.verification,
                    userID: order.userID,
                    accountID: order.accountID,
                    exchange: order.exchange
                )
            } catch {
                logger.error("Delivered key not kept for /status", metadata: ["account.id": "\(queued.accountID)", "error": "\(error)"])
            }
            await end(queued, as: .delivered, error: nil, tell: .applied)
        case .failure(.refused(let status, let reason)):
            logger.warning(
                "Binding update refused",
                metadata: ["binding.id": "\(queued.id)", "account.id": "\(queued.accountID)", "status": "\(status)", "error": "\(reason)"]
            )
            await end(queued, as: .refused, error: "HTTP \(status): \(reason)", tell: .refused)
        case .failure(.retryable(let reason, let retryAfter)):
            await failed(queued, reason: reason, retryAfter: retryAfter)
        }
    }

    func failed(_ queued: QueuedBindingUpdate, reason: String, retryAfter: TimeInterval?) async {
        let decision = retry.afterFailure(
            previousAttempts: queued.attempts,
            firstAttemptAt: queued.firstAttemptAt,
            retryAfter: retryAfter,
            now: now(),
            jitter: Double.random(in: 0...1)
        )
        switch decision {
        case .deadLetter(let attempts):
            logger.error(
                "Binding update dead-lettered",
                metadata: [
                    "binding.id": "\(queued.id)", "account.id": "\(queued.accountID)", "binding.attempts": "\(attempts)", "error": "\(reason)",
                ]
            )
            await end(queued, as: .deadLettered, error: reason, tell: .refused)
        case .retry(let next, let attempts, let first):
            logger.notice(
                "Binding update not delivered; will retry",
                metadata: [
                    "binding.id": "\(queued.id)", "account.id": "\(queued.accountID)", "binding.attempts": "\(attempts)", "error": "\(reason)",
                ]
            )
            do {
                try await store.retryBindingUpdate(id: queued.id, at: next, attempts: attempts, firstAttemptAt: first, error: reason)
            } catch {
                logger.error("Binding update retry not recorded", metadata: ["binding.id": "\(queued.id)", "error": "\(error)"])
                return
            }
            if attempts == 1 {
                // The user is waiting on this: say once that it takes longer, not on every retry.
                await tell(queued, .delayed)
            }
        }
    }

    /// Writes the answer into the chat's lane first, then ends the update: a crash between
    /// the two sends the same update again (the platform sees the same id, and the lane the
    /// same input, stored once) rather than leave the user without an answer.
    func end(_ queued: QueuedBindingUpdate, as end: BindingUpdateEnd, error: String?, tell outcome: ChatInput.BindingOutcome) async {
        // Not told (the store is down): the update is not ended, so it comes round again.
        guard await tell(queued, outcome) else {
            await handBack(queued, error: error, after: 5)
            return
        }
        do {
            try await store.endBindingUpdate(id: queued.id, as: end, error: error, now: now())
            metrics.bindingUpdateEnded(end)
        } catch {
            logger.error("Binding update end not recorded", metadata: ["binding.id": "\(queued.id)", "error": "\(error)"])
        }
    }

    /// The answer, as an input in the chat's lane; one per update and outcome.
    @discardableResult
    func tell(_ queued: QueuedBindingUpdate, _ outcome: ChatInput.BindingOutcome) async -> Bool {
        do {
            try await inbox.post(
                .bindingAnswered(accountID: queued.accountID, outcome: outcome),
                to: queued.chat,
                key: "binding:\(queued.id):\(outcome.rawValue)"
            )
            answers?.answered(queued.id, outcome)
            return true
        } catch {
            logger.error("User not told how the binding update went", metadata: ["binding.id": "\(queued.id)", "error": "\(error)"])
            return false
        }
    }

    func handBack(_ queued: QueuedBindingUpdate, error: String?, after delay: TimeInterval = 0) async {
        do {
            try await store.retryBindingUpdate(
                id: queued.id,
                at: now().addingTimeInterval(delay),
                attempts: queued.attempts,
                firstAttemptAt: queued.firstAttemptAt ?? now(),
                error: error
            )
        } catch {
            logger.error("Binding update not handed back", metadata: ["binding.id": "\(queued.id)", "error": "\(error)"])
        }
    }
}

/// The binding updates being delivered by this process.
private final class InFlight: Sendable {
    let ids = Mutex<Set<String>>([])
}
