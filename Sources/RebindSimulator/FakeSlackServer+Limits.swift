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

    /// A clock a test moves by hand, for a fake's limits, expiries and waits: no sleeping.
    /// (`FakeTelegramServer` takes it too.)
    public final class ManualClock: Sendable {
        private let state: Mutex<(seconds: Double, observers: [@Sendable () -> Void])>

        public init(_ start: Double = 0) {
            state = Mutex((start, []))
        }

        /// Seconds since the clock's start.
        public var now: Double { state.withLock { $0.seconds } }

        /// Moves the clock on, then wakes whatever waits on it (a fake's long poll).
        public func advance(by interval: Double) {
            let observers = state.withLock { state in
                state.seconds += interval
                return state.observers
            }
            for observer in observers { observer() }
        }

        /// Calls `observer` after every `advance`, outside the clock's lock.
        func onAdvance(_ observer: @escaping @Sendable () -> Void) {
            state.withLock { $0.observers.append(observer) }
        }
    }
}
