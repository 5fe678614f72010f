import Foundation
import RebindCore
import RebindTelegram
import Synchronization

/// The Bot API's behaviour behind `FakeTelegramServer`: chats and their messages, the update
/// queue and long polls, the webhook, flood limits and injected faults. All of it lives in one
/// locked state, changed one call at a time; waiters (long polls, tests) are woken on every
/// change.
final class FakeTelegramBot: Sendable {
    typealias Server = FakeTelegramServer

    let token: String
    let user: TelegramUser
    /// The test's clock; the real one when nil.
    let clock: Server.ManualClock?
    private let started = ContinuousClock.now
    let state: Mutex<State>

    struct State {
        var limits: Server.Limits
        var faults: [Server.FaultRule] = []
        var chats: [Int64: Chat] = [:]
        var calls: [Server.Call] = []
        /// Calls no longer pending, by lowercased method, so waiting for calls costs no scan.
        var settledCalls: [String: Int] = [:]
        var settledTotal = 0
        var queue: [TelegramUpdate] = []
        var nextUpdateID: Int64 = 700_000_001
        var webhook: Server.Webhook?
        /// The long poll that is waiting; a newer one terminates it.
        var activePoll: Int?
        var polls = 0
        var openCallbackQueries: Set<String> = []
        var callbackQueries = 0
        var callbackAnswers: [Server.CallbackAnswer] = []
        /// The command menus set, by language code ("" for the default).
        var commands: [String: [(command: String, description: String)]] = [:]
        var globalBucket: TokenBucket?
        var paidGlobalBucket: TokenBucket?
        /// Messages sent with `allow_paid_broadcast` (each would cost Stars).
        var paidMessages = 0
        // Waiting for changes.
        var generation = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<Int> = []
        var nextWaiter = 0
    }

    struct Chat {
        var lastMessageID: Int64 = 0
        var messages: [Server.ChatMessage] = []
        var deleted: [Server.ChatMessage] = []
        var bucket: TokenBucket?
    }

    /// A flood-limit bucket: whole tokens are messages that may go now.
    struct TokenBucket {
        var tokens: Double
        var updatedAt: TimeInterval

        mutating func refill(now: TimeInterval, rate: Double, capacity: Int) {
            if rate.isInfinite {
                tokens = Double(capacity)
            } else {
                tokens = min(Double(capacity), tokens + max(now - updatedAt, 0) * rate)
            }
            updatedAt = now
        }

        /// Seconds until a whole token is there; 0 when one is.
        func wait(rate: Double) -> TimeInterval {
            tokens >= 1 ? 0 : (1 - tokens) / rate
        }
    }

    init(token: String, limits: Server.Limits, clock: Server.ManualClock?) {
        self.token = token
        let id = token.split(separator: ":").first.flatMap { Int64($0) } ?? 123_456_789
        self.user = TelegramUser(id: id, isBot: true, firstName: "Rebind Test", username: FakeTelegramServer.botUsername)
        self.clock = clock
        self.state = Mutex(State(limits: limits))
        // Waiters whose deadline is on the test's clock look again as it moves.
        clock?.onAdvance { [weak self] in self?.change { _ in } }
    }

    /// Seconds on the fake's clock: the test's, or since the bot started (monotonic).
    func now() -> TimeInterval {
        if let clock { return clock.now }
        return (ContinuousClock.now - started).seconds
    }

    static func unixTime() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Changes the state and wakes everyone waiting for a change.
    @discardableResult
    func change<Result: Sendable>(_ body: (inout State) -> Result) -> Result {
        let (result, waiters) = state.withLock { state in
            let result = body(&state)
            state.generation &+= 1
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return (result, waiters)
        }
        for waiter in waiters { waiter.resume() }
        return result
    }

    func read<Result: Sendable>(_ body: (State) -> Result) -> Result {
        state.withLock { body($0) }
    }

    // MARK: Waiting

    /// Waits until `condition` holds or `deadline` passes in real time (never when nil; or the
    /// task is cancelled); returns whether it held. Sleeps between changes: no polling.
    func wait(until deadline: ContinuousClock.Instant?, for condition: (State) -> Bool) async -> Bool {
        while true {
            let (holds, generation) = state.withLock { (condition($0), $0.generation) }
            if holds { return true }
            if deadline.map({ ContinuousClock.now >= $0 }) == true || Task.isCancelled { return false }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.nextChange(after: generation) }
                if let deadline { group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) } }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Returns once the state has changed since `generation`, or the task is cancelled.
    private func nextChange(after generation: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.generation != generation || state.cancelledWaiters.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                if let continuation = state.waiters.removeValue(forKey: id) { return Optional(continuation) }
                state.cancelledWaiters.insert(id)
                return nil
            }
            continuation?.resume()
        }
    }
}

extension FakeTelegramBot.State {
    /// Records how call `number` (counting from 1) ended.
    mutating func settle(_ number: Int, _ outcome: FakeTelegramServer.Call.Outcome) {
        let index = number - 1
        if calls[index].outcome == .pending {
            settledCalls[calls[index].method.lowercased(), default: 0] += 1
            settledTotal += 1
        }
        calls[index].outcome = outcome
    }
}
