import Foundation
import Logging
import RebindCore
import ServiceLifecycle

/// Posts queued platform events (`api_binding.expiring`) to `REBIND_PLATFORM_URL`, signed like
/// binding updates and retried the same way: 5xx, 408, 429 and no answer are retried with
/// backoff until the retry policy's limit, then dead-lettered; another 4xx ends the event as
/// refused. Each event keeps its `webhook-id` and its body across attempts.
struct PlatformEventDispatcher: Service {
    let store: any PlatformEventOutbox
    let publisher: any BindingPublisher
    let retry: RetryPolicy
    let metrics: RebindMetrics
    let wakeup: Wakeup
    let idleWait: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    /// How long a claimed event stays taken: longer than one attempt can take.
    var lease: TimeInterval = 120
    var batch = 16

    func run() async throws {
        await OutboxLoop<QueuedPlatformEvent>(
            name: "platform events",
            claim: {
                let claimed = try await store.claimPlatformEvents(now: now(), limit: batch, leaseUntil: now().addingTimeInterval(lease))
                return (claimed, claimed.count == batch)
            },
            dispatch: { events, group in
                for event in events {
                    group.addTask { await deliver(event) }
                }
            },
            idleWait: { idleWait },
            wakeup: wakeup,
            logger: logger
        ).run()
    }

    func deliver(_ event: QueuedPlatformEvent) async {
        let outcome: Result<Void, PublishError>
        do {
            try await publisher.post(event.body, id: event.id)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success:
            logger.info("Platform event delivered", metadata: ["platform.event.id": "\(event.id)"])
            await end(event, as: .delivered, error: nil)
        case .failure(.refused(let status, let reason)):
            logger.warning("Platform event refused", metadata: ["platform.event.id": "\(event.id)", "status": "\(status)", "error": "\(reason)"])
            await end(event, as: .refused, error: "HTTP \(status): \(reason)")
        case .failure(.retryable(let reason, let retryAfter)):
            let decision = retry.afterFailure(
                previousAttempts: event.attempts,
                firstAttemptAt: event.firstAttemptAt,
                retryAfter: retryAfter,
                now: now(),
                jitter: .random(in: 0...1)
            )
            switch decision {
            case .deadLetter(let attempts):
                logger.error(
                    "Platform event dead-lettered",
                    metadata: ["platform.event.id": "\(event.id)", "attempts": "\(attempts)", "error": "\(reason)"]
                )
                await end(event, as: .deadLettered, error: reason)
            case .retry(let next, let attempts, let first):
                logger.notice("Platform event not delivered; will retry", metadata: ["platform.event.id": "\(event.id)", "error": "\(reason)"])
                do {
                    try await store.retryPlatformEvent(id: event.id, at: next, attempts: attempts, firstAttemptAt: first, error: reason)
                } catch {
                    logger.error("Platform event retry not recorded", metadata: ["platform.event.id": "\(event.id)", "error": "\(error)"])
                }
            }
        }
    }

    func end(_ event: QueuedPlatformEvent, as end: BindingUpdateEnd, error: String?) async {
        do {
            try await store.endPlatformEvent(id: event.id, as: end, error: error, now: now())
            metrics.platformEventEnded(end)
        } catch {
            logger.error("Platform event end not recorded", metadata: ["platform.event.id": "\(event.id)", "error": "\(error)"])
        }
    }
}
