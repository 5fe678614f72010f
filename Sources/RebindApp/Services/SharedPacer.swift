import RebindCore
import Synchronization

/// The pacers of the chat channels, shared by whatever sends there: the outbox's senders and
/// the bot's replies. Each asks for a slot in the chat's channel, so together they stay within
/// that platform's limits (a 429 that holds a chat holds it for both). Channels are paced
/// independently: Telegram's limits say nothing about Slack's.
final class SharedPacer: Sendable {
    private let pacers: Mutex<[Channel: DeliveryPacer]>
    /// All channels' rates together: how many messages a second the outbox may plan for.
    let globalRate: Double
    let burst: Int

    init(_ pacers: [Channel: DeliveryPacer]) {
        self.pacers = Mutex(pacers)
        globalRate = pacers.values.map(\.globalRate).reduce(0, +)
        burst = pacers.values.map(\.burst).reduce(0, +)
    }

    convenience init(_ pacer: DeliveryPacer, channel: Channel = .telegram) {
        self.init([channel: pacer])
    }

    /// A chat of a channel with no pacer (none configured) is not held back.
    private func with<T: Sendable>(_ chat: ChatAddress, _ body: (inout DeliveryPacer) -> T, otherwise: T) -> T {
        pacers.withLock { pacers in
            guard pacers[chat.channel] != nil else { return otherwise }
            return body(&pacers[chat.channel]!)
        }
    }

    func reserve(_ chat: ChatAddress, now: ContinuousClock.Instant) -> DeliveryPacer.Slot {
        with(chat, { $0.reserve(chat, now: now) }, otherwise: .sendAt(now))
    }

    func reserveReply(_ chat: ChatAddress, now: ContinuousClock.Instant) -> DeliveryPacer.Slot {
        with(chat, { $0.reserveReply(chat, now: now) }, otherwise: .sendAt(now))
    }

    func sent(_ chat: ChatAddress, at instant: ContinuousClock.Instant) {
        with(chat, { $0.sent(chat, at: instant) }, otherwise: ())
    }

    func hold(_ chat: ChatAddress, until instant: ContinuousClock.Instant) {
        with(chat, { $0.hold(chat, until: instant) }, otherwise: ())
    }

    /// The longest backlog of any channel: the outbox claims new work only while every
    /// channel's schedule is close to now.
    func backlog(now: ContinuousClock.Instant) -> Duration {
        pacers.withLock { $0.values.map { $0.backlog(now: now) }.max() ?? .zero }
    }

    func prune(now: ContinuousClock.Instant) {
        pacers.withLock { pacers in
            for channel in pacers.keys { pacers[channel]!.prune(now: now) }
        }
    }
}
