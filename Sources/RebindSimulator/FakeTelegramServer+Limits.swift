extension FakeTelegramServer {
    /// A clock a test moves by hand, for the flood limits and long polls: the one
    /// `FakeSlackServer` takes.
    public typealias ManualClock = FakeSlackServer.ManualClock

    /// Telegram's flood limits as the fake enforces them on `sendMessage` and
    /// `editMessageText`: token buckets per chat and for the whole bot, refilled on the
    /// fake's clock. Past them the call gets 429 with `retry_after`.
    public struct Limits: Sendable, Equatable {
        /// Messages per second to one chat, in the long run.
        public var perChatPerSecond: Double
        /// Messages one chat may take at once before the rate applies.
        public var perChatBurst: Int
        /// Messages per second over all chats.
        public var globalPerSecond: Double
        /// Messages the bot may send at once before the global rate applies.
        public var globalBurst: Int
        /// Messages per second across all chats for `allow_paid_broadcast` messages.
        public var paidGlobalPerSecond: Double = 1000

        /// About 1 per second per chat with a small burst, 30 per second overall.
        public init(perChatPerSecond: Double = 1, perChatBurst: Int = 3, globalPerSecond: Double = 30, globalBurst: Int? = nil) {
            self.perChatPerSecond = perChatPerSecond
            self.perChatBurst = max(perChatBurst, 1)
            self.globalPerSecond = globalPerSecond
            self.globalBurst = max(globalBurst ?? Int(globalPerSecond.rounded(.up)), 1)
        }

        /// No limits at all.
        public static let unlimited = Limits(perChatPerSecond: .infinity, perChatBurst: .max, globalPerSecond: .infinity, globalBurst: .max)
    }
}
