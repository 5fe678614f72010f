import Foundation

/// Keeps sending within a chat platform's limits: at most one message per interval per chat,
/// a global rate across all chats (a token bucket), and a hold on a chat after the platform
/// answered 429 with `retry_after`. Pure: the sender asks it when each message may go.
public struct DeliveryPacer: Sendable {
    public var perChatInterval: TimeInterval
    public var globalRate: Double
    public var burst: Double

    private var nextAllowedPerChat: [ChatAddress: Date] = [:]
    private var tokens: Double
    private var refilledAt: Date?

    public init(perChatInterval: TimeInterval = 1.0, globalRate: Double = 25, burst: Double? = nil) {
        self.perChatInterval = perChatInterval
        self.globalRate = max(globalRate, 0.001)
        self.burst = max(1, burst ?? min(globalRate, 5))
        tokens = self.burst
    }

    /// When a message to `chat` may go, at the earliest. Nil means now.
    public func earliest(for chat: ChatAddress, now: Date) -> Date? {
        let chatReady = nextAllowedPerChat[chat].flatMap { $0 > now ? $0 : nil }
        let available = tokensAvailable(now: now)
        // A hair under one token counts as one, so float rounding cannot stall the sender on
        // a wait too short to move the clock.
        let globalReady: Date? = available >= 1 - 1e-6 ? nil : now.addingTimeInterval(max((1 - available) / globalRate, 1e-3))
        switch (chatReady, globalReady) {
        case (nil, nil): return nil
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (let a?, let b?): return max(a, b)
        }
    }

    /// Records that a message to `chat` is going now. Call only when `earliest` said now.
    public mutating func record(_ chat: ChatAddress, now: Date) {
        tokens = max(0, tokensAvailable(now: now) - 1)
        refilledAt = now
        nextAllowedPerChat[chat] = now.addingTimeInterval(perChatInterval)
    }

    /// The platform said to wait: nothing goes to `chat` before `until`.
    public mutating func hold(_ chat: ChatAddress, until: Date) {
        nextAllowedPerChat[chat] = max(nextAllowedPerChat[chat] ?? until, until)
    }

    /// Forgets chats whose interval has passed, so memory stays bounded by active chats.
    public mutating func prune(now: Date) {
        nextAllowedPerChat = nextAllowedPerChat.filter { $0.value > now }
    }

    func tokensAvailable(now: Date) -> Double {
        guard let refilledAt else { return tokens }
        return min(burst, tokens + max(0, now.timeIntervalSince(refilledAt)) * globalRate)
    }
}
