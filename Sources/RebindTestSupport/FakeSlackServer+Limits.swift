import Synchronization

extension FakeSlackServer {
    /// Slack's posting limit as the fake enforces it on `chat.postMessage` and
    /// `chat.postEphemeral`: a token bucket per channel, refilled on the fake's clock. Past it
    /// the call gets HTTP 429 with `Retry-After`.
    public struct Limits: Sendable, Equatable {
        /// Messages per second to one channel, in the long run.
        public var perChannelPerSecond: Double
        /// Messages one channel may take at once before the rate applies.
        public var perChannelBurst: Int

        /// About 1 message per second per channel, as Slack documents.
        public init(perChannelPerSecond: Double = 1, perChannelBurst: Int = 1) {
            self.perChannelPerSecond = perChannelPerSecond
            self.perChannelBurst = max(perChannelBurst, 1)
        }

        public static let unlimited = Limits(perChannelPerSecond: .infinity, perChannelBurst: .max)
    }

    /// A clock a test moves by hand, for the posting limit and trigger expiry: no sleeping.
    public final class ManualClock: Sendable {
        private let seconds: Mutex<Double>

        public init(_ start: Double = 0) {
            seconds = Mutex(start)
        }

        /// Seconds since the clock's start.
        public var now: Double { seconds.withLock { $0 } }

        public func advance(by interval: Double) {
            seconds.withLock { $0 += interval }
        }
    }
}
