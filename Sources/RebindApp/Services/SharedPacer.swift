import RebindCore
import Synchronization

/// The one pacer of a chat channel, shared by whatever sends there: the outbox's senders and
/// the bot's replies. Each asks it for a slot, so together they stay within the platform's
/// limits (a 429 that holds a chat holds it for both).
final class SharedPacer: Sendable {
    private let pacer: Mutex<DeliveryPacer>
    let globalRate: Double
    let burst: Int

    init(_ pacer: DeliveryPacer) {
        self.pacer = Mutex(pacer)
        globalRate = pacer.globalRate
        burst = pacer.burst
    }

    func reserve(_ chat: ChatAddress, now: ContinuousClock.Instant) -> DeliveryPacer.Slot {
        pacer.withLock { $0.reserve(chat, now: now) }
    }

    func reserveReply(_ chat: ChatAddress, now: ContinuousClock.Instant) -> DeliveryPacer.Slot {
        pacer.withLock { $0.reserveReply(chat, now: now) }
    }

    func sent(_ chat: ChatAddress, at instant: ContinuousClock.Instant) {
        pacer.withLock { $0.sent(chat, at: instant) }
    }

    func hold(_ chat: ChatAddress, until instant: ContinuousClock.Instant) {
        pacer.withLock { $0.hold(chat, until: instant) }
    }

    func backlog(now: ContinuousClock.Instant) -> Duration {
        pacer.withLock { $0.backlog(now: now) }
    }

    func prune(now: ContinuousClock.Instant) {
        pacer.withLock { $0.prune(now: now) }
    }
}
