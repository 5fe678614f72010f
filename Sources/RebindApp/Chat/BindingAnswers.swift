import Foundation
import RebindCore
import Synchronization

/// The platform's first answer to a binding update, for a request that waits a moment for it
/// (the key form, which can then say "applied" rather than "on its way"). Only answers
/// delivered by this process are seen; one delivered by another replica leaves the request to
/// its timeout, and the chat is told either way.
final class BindingAnswers: Sendable {
    private enum State {
        case expected
        case answered(ChatInput.BindingOutcome)
        case waiting(CheckedContinuation<ChatInput.BindingOutcome?, Never>)
        /// The wait ended (timed out) before it began listening.
        case abandoned
    }

    private let states = Mutex<[String: State]>([:])

    /// Registers interest before the update is queued, so an answer that comes first is kept.
    func expect(_ id: String) {
        states.withLock { $0[id] = .expected }
    }

    /// Drops an expected update that was never queued.
    func forget(_ id: String) {
        states.withLock { _ = $0.removeValue(forKey: id) }
    }

    /// The first answer to an expected update, or nil when none came within `timeout`. The
    /// timer is a child of this call: nothing outlives it.
    func wait(for id: String, timeout: Duration) async -> ChatInput.BindingOutcome? {
        let outcome = await withTaskGroup(of: ChatInput.BindingOutcome?.self) { group in
            group.addTask { await self.answer(id) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        states.withLock { _ = $0.removeValue(forKey: id) }
        return outcome
    }

    /// The dispatcher's answer to an update; ignored unless a request expects it.
    func answered(_ id: String, _ outcome: ChatInput.BindingOutcome) {
        finish(id, with: outcome)
    }

    /// Suspends until the answer, or until the waiting task is cancelled (nil).
    private func answer(_ id: String) async -> ChatInput.BindingOutcome? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChatInput.BindingOutcome?, Never>) in
                let now: ChatInput.BindingOutcome?? = states.withLock { states in
                    switch states[id] {
                    case .answered(let outcome)?: return .some(outcome)
                    case .expected?:
                        states[id] = .waiting(continuation)
                        return .none
                    case .waiting?, .abandoned?, nil: return .some(nil)
                    }
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            finish(id, with: nil)
        }
    }

    private func finish(_ id: String, with outcome: ChatInput.BindingOutcome?) {
        let continuation = states.withLock { states -> CheckedContinuation<ChatInput.BindingOutcome?, Never>? in
            switch states[id] {
            case .waiting(let continuation)?:
                states[id] = nil
                return continuation
            case .expected?:
                // An answer before the wait listens is kept; a cancellation marks the wait over.
                states[id] = outcome.map(State.answered) ?? .abandoned
                return nil
            case .answered?, .abandoned?, nil:
                return nil
            }
        }
        continuation?.resume(returning: outcome)
    }
}
