import Synchronization

/// Wakes a background service early: a controller that stored new work pokes it, so the
/// service need not poll fast to answer fast.
///
/// A poke while nobody waits is kept (one, however many came) and ends the next wait at once,
/// so work stored just before a service starts waiting is never slept on.
///
/// (This used to be an `AsyncStream` raced against a sleep. Cancelling the losing iteration
/// finishes an `AsyncStream` for good, so after the first timeout every wait returned at once
/// and each idle service spun a core.)
public final class Wakeup: Sendable {
    private struct State {
        var poked = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits cancelled before they could register.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Ends every current wait, or the next one if none is waiting.
    public func poke() {
        let waiters = state.withLock { state in
            guard !state.waiters.isEmpty else {
                state.poked = true
                return [CheckedContinuation<Void, Never>]()
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when poked or after `timeout`, whichever comes first.
    func wait(timeout: Duration) async {
        let id: UInt64? = state.withLock { state in
            if state.poked {
                state.poked = false
                return nil
            }
            state.nextID &+= 1
            return state.nextID
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.untilPoked(id) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        // Both halves are done: nothing of this wait may stay behind.
        state.withLock { state in
            state.cancelled.remove(id)
            _ = state.waiters.removeValue(forKey: id)
        }
    }

    private func untilPoked(_ id: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.poked {
                        state.poked = false
                        return true
                    }
                    if state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                if let continuation = state.waiters.removeValue(forKey: id) { return Optional(continuation) }
                state.cancelled.insert(id)
                return nil
            }
            continuation?.resume()
        }
    }
}
