import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Syncs the write-ahead log to disk in the background while events commit, as PostgreSQL's
/// WAL writer does, so that the writer's checkpoints find it already there.
///
/// With `synchronous = NORMAL` a commit is acknowledged once its pages are in the log (the
/// page cache), and the log is synced only when the writer checkpoints it into the database
/// file, every 1,000 pages: two syncs of a log that nothing wrote back before, on the one
/// writer every ingest waits on. Those stalls were `normal`'s tail (p99 10–11 ms against
/// 7.6–8.2 ms with this flusher, bench/README.md, issue 15). Synced here a few milliseconds
/// after its commits, the log is mostly on disk by the time the writer checkpoints, and a
/// power loss can take only the commits of the last few milliseconds.
///
/// The syncs run on a thread of their own: they block for milliseconds, which would hold up
/// one of the cooperative pool's few threads. Idle (no commit since the last sync), the thread
/// sleeps until the next commit.
final class SQLiteLogFlusher: Sendable {
    /// Counts of what the thread did, for tests.
    struct Counts: Sendable, Equatable {
        var syncs = 0
        var failures = 0
    }

    private struct State: Sendable {
        var committed = false
        var stopping = false
        var counts = Counts()
    }

    /// The log, as SQLite names it beside the database file.
    let path: String
    /// How long a sync waits after the commit that asked for it, so that the commits of
    /// those milliseconds share it.
    let interval: Duration
    private let condition = NSCondition()
    private let state: Mutex<State> = Mutex(State())
    private let finished = DispatchSemaphore(value: 0)

    init(logPath: String, interval: Duration) {
        path = logPath
        self.interval = interval
        let thread = Thread { [self] in run() }
        thread.name = "rebind-log-flusher"
        thread.start()
    }

    /// A transaction committed: the log has pages to sync.
    func committed() {
        condition.lock()
        state.withLock { $0.committed = true }
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread and waits for it: no sync starts after this returns. Called once, by
    /// the store as it goes away.
    func stop() {
        condition.lock()
        state.withLock { $0.stopping = true }
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    var counts: Counts { state.withLock { $0.counts } }

    private func run() {
        var descriptor: Int32 = -1
        defer {
            if descriptor >= 0 { close(descriptor) }
            finished.signal()
        }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        while true {
            condition.lock()
            while !state.withLock({ $0.committed || $0.stopping }) { condition.wait() }
            // The commits of the next few milliseconds join this sync.
            let deadline = Date(timeIntervalSinceNow: seconds)
            while !state.withLock({ $0.stopping }), condition.wait(until: deadline) {}
            let stopping = state.withLock { state in
                state.committed = false
                return state.stopping
            }
            condition.unlock()
            if stopping { return }

            // Opened on first use: the log exists once the writer has opened the database.
            if descriptor < 0 { descriptor = open(path, O_RDONLY | O_CLOEXEC) }
            let synced = descriptor >= 0 && Self.sync(descriptor) == 0
            // A failed sync is counted, not retried: syncing here only shortens the writer's
            // own syncs, and its checkpoints still sync the log before they copy it.
            state.withLock { state in
                if synced { state.counts.syncs += 1 } else { state.counts.failures += 1 }
            }
        }
    }

    private static func sync(_ descriptor: Int32) -> Int32 {
        #if canImport(Glibc)
        fdatasync(descriptor)
        #else
        fsync(descriptor)
        #endif
    }
}
