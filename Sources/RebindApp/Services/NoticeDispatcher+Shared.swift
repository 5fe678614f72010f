import RebindCore
import Synchronization

extension NoticeDispatcher {
    /// What the claiming loop and the sender tasks of one run share: which notices are held
    /// in memory. An incident has at most one notice being worked on; the
    /// others claimed meanwhile wait behind it and are released in order when it is done.
    final class Shared: Sendable {
        private struct Notices {
            /// Notices in memory (being worked on or waiting), so a claim that sees one again
            /// after its lease ran out does not start it twice.
            var held: Set<Int64> = []
            /// Incidents with a notice being worked on, and the notices waiting behind it.
            var busy: [String: [DueNotice]] = [:]
            /// Notices whose turn came, for the claiming loop to take first.
            var released: [DueNotice] = []
            var inFlight = 0
        }

        private let notices = Mutex(Notices())
        let maxInFlight: Int
        /// Records delivered notices; senders that finish together share one transaction.
        let completions: GroupCommit<DeliveredNotice, Void>
        /// Records the delivery attempts of the console's history, many notices' in one write.
        let attempts: GroupCommit<[NoticeAttempt], Void>

        init(maxInFlight: Int, store: any ChatStore) {
            self.maxInFlight = maxInFlight
            // Small batches: a long transaction would hold up every other writer (a chat
            // update being stored waits behind it).
            completions = GroupCommit(maxBatch: 32) { delivered in
                try await store.completeNotices(delivered)
                return delivered.map { _ in .success(()) }
            }
            attempts = GroupCommit(maxBatch: 64) { batches in
                try await store.recordNoticeAttempts(batches.flatMap { $0 })
                return batches.map { _ in .success(()) }
            }
        }

        // MARK: Notices in memory

        /// Takes freshly claimed notices: returns those to start now, in claim order. Notices
        /// already held are skipped; those whose incident is busy wait behind it.
        func admit(_ claimed: [DueNotice]) -> [DueNotice] {
            notices.withLock { state in
                var start: [DueNotice] = []
                for due in claimed where state.held.insert(due.id).inserted {
                    let incident = due.notice.incidentID
                    if state.busy[incident] != nil {
                        state.busy[incident]?.append(due)
                    } else {
                        state.busy[incident] = []
                        start.append(due)
                    }
                }
                return start
            }
        }

        /// Notices whose incident became free, in the order they were claimed.
        func takeReleased() -> [DueNotice] {
            notices.withLock { state in
                defer { state.released.removeAll() }
                return state.released
            }
        }

        var hasReleased: Bool { notices.withLock { !$0.released.isEmpty } }

        var inFlight: Int { notices.withLock { $0.inFlight } }

        /// Notices held but not being worked on (released, or waiting behind their
        /// incident's), forgotten here: at shutdown they go back to the outbox.
        func drain() -> [DueNotice] {
            notices.withLock { state in
                let left = state.released + state.busy.values.flatMap { $0 }
                state.released.removeAll()
                state.busy.removeAll()
                for due in left { state.held.remove(due.id) }
                return left
            }
        }

        /// A sender task starts.
        func started() {
            notices.withLock { $0.inFlight += 1 }
        }

        /// The notice is settled (sent, retried later, parked, dead). Releases the next notice
        /// of its incident. Returns whether the claiming loop should look again now: a notice
        /// was released, or a sender slot freed up while all were taken.
        func finish(_ due: DueNotice, sender: Bool) -> Bool {
            notices.withLock { state in
                state.held.remove(due.id)
                let wasFull = sender && state.inFlight >= maxInFlight
                if sender { state.inFlight -= 1 }
                let incident = due.notice.incidentID
                guard var waiting = state.busy[incident], !waiting.isEmpty else {
                    state.busy[incident] = nil
                    return wasFull
                }
                state.released.append(waiting.removeFirst())
                state.busy[incident] = waiting
                return true
            }
        }
    }
}
