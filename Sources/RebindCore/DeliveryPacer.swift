/// Keeps sending within a chat platform's limits: at most one message per interval per chat,
/// a global rate across all chats, and a hold on a chat after the platform answered 429 with
/// `retry_after`. Pure: the sender asks it for a slot and sends at that time.
///
/// Time is a monotonic instant, never the wall clock: a wall clock that steps (NTP, a VM
/// resumed) would otherwise hold a chat for hours or let a burst through.
///
/// The global rate is a virtual schedule (the generic cell rate algorithm): each reservation
/// takes the next free slot, `1 / globalRate` after the previous one, with up to `burst`
/// slots at once. A sender that reserves ahead simply sleeps until its slot, so concurrent
/// senders never race for tokens, and slots are handed out in the order they were asked for.
public struct DeliveryPacer: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What `reserve` decided.
    public enum Slot: Sendable, Equatable {
        /// Send at this instant (now, or a little later to keep the global rate). The slot is
        /// taken: send then, or the capacity is lost.
        case sendAt(Instant)
        /// The chat is not ready before this instant (its interval, or a 429 hold); nothing was
        /// reserved. Ask again then.
        case chatBusyUntil(Instant)
    }

    public var perChatInterval: Duration
    public var globalRate: Double
    public var burst: Int

    /// When each recently written chat may get its next message.
    private var chatReady: [ChatAddress: Instant] = [:]
    /// Chats the platform told to wait (429), and until when. Replies respect these too.
    private var chatHeld: [ChatAddress: Instant] = [:]
    /// The theoretical time of the next slot on the global schedule.
    private var nextSlot: Instant?

    public init(perChatInterval: Duration = .seconds(1), globalRate: Double = 25, burst: Int? = nil) {
        self.perChatInterval = perChatInterval
        self.globalRate = globalRate.isFinite && globalRate > 0 ? globalRate : 25
        self.burst = max(1, burst ?? Int(min(self.globalRate, 5)))
    }

    /// Time between two slots at the global rate, in whole nanoseconds so slots add up exactly.
    public var slotInterval: Duration { .nanoseconds(Int64((1e9 / globalRate).rounded())) }

    /// Reserves the next slot for a message to `chat`, or says when the chat will be ready.
    public mutating func reserve(_ chat: ChatAddress, now: Instant) -> Slot {
        if let ready = chatReady[chat], ready > now {
            return .chatBusyUntil(ready)
        }
        let interval = slotInterval
        let tolerance = interval * (burst - 1)
        let scheduled = max(nextSlot ?? now, now)
        let slot = max(now, scheduled - tolerance)
        nextSlot = scheduled + interval
        chatReady[chat] = slot + perChatInterval
        return .sendAt(slot)
    }

    /// Reserves a slot for a reply to a user who is waiting on it: it goes now unless a 429
    /// holds the chat, even inside the chat's interval (Telegram and Slack allow short bursts
    /// in a conversation). It still takes its place on the global schedule, pushing later
    /// slots back by one, so the global rate holds; and the chat's next notice waits a whole
    /// interval after it.
    public mutating func reserveReply(_ chat: ChatAddress, now: Instant) -> Slot {
        if let held = chatHeld[chat], held > now {
            return .chatBusyUntil(held)
        }
        nextSlot = max(nextSlot ?? now, now) + slotInterval
        chatReady[chat] = max(chatReady[chat] ?? now, now + perChatInterval)
        return .sendAt(now)
    }

    /// The message to `chat` actually went at `instant`: the chat's next one waits a whole
    /// interval from then, even if the sender was late for its slot.
    public mutating func sent(_ chat: ChatAddress, at instant: Instant) {
        chatReady[chat] = max(chatReady[chat] ?? instant, instant + perChatInterval)
    }

    /// The platform said to wait: nothing goes to `chat` before `until`.
    public mutating func hold(_ chat: ChatAddress, until: Instant) {
        chatReady[chat] = max(chatReady[chat] ?? until, until)
        chatHeld[chat] = max(chatHeld[chat] ?? until, until)
    }

    /// How far ahead of `now` the global schedule is booked beyond its burst; zero when a
    /// message could go at once. A sender stops taking new work while this is large, so work
    /// is claimed close to when it can go and urgent work is never queued behind a long line.
    public func backlog(now: Instant) -> Duration {
        guard let nextSlot else { return .zero }
        let tolerance = slotInterval * (burst - 1)
        return max(.zero, nextSlot - tolerance - now)
    }

    /// Forgets chats that are ready again, so memory stays bounded by recently written chats.
    public mutating func prune(now: Instant) {
        chatReady = chatReady.filter { $0.value > now }
        chatHeld = chatHeld.filter { $0.value > now }
    }

    /// Chats remembered (for tests and metrics).
    public var trackedChats: Int { chatReady.count }
}
