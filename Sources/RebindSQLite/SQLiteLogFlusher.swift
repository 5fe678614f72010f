import Dispatch
import Foundation
import Logging
import RebindCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Syncs the write-ahead log to disk in the background while events are ingested, as
/// PostgreSQL's WAL writer does, so that the writer's checkpoints find it already there.
///
/// With `synchronous = NORMAL` a commit is acknowledged once its pages are in the log (the
/// page cache), and the log is otherwise synced only when the writer checkpoints it into the
/// database file, every 1,000 pages: two syncs of a log that nothing wrote back before, on the
/// one writer every ingest waits on. Those stalls were `normal`'s tail (p99 10.1–11.0 ms
/// against 8.0–8.1 ms with this flusher, bench/README.md, issue 15). Synced here a few
/// milliseconds after an ingest's commit, the log is mostly on disk by the time the writer
/// checkpoints, and usually a power loss can take only the events of the last moments. Best
/// effort: a commit is still acknowledged before any sync, and other writes (chats, keys) do
/// not ask for one.
///
/// The syncs run on a thread of their own: they block for milliseconds, which would hold up
/// one of the cooperative pool's few threads. Idle (no ingest since the last sync), the thread
/// sleeps until the next one.
final class SQLiteLogFlusher: Sendable {
    /// Counts of what the thread did, for tests.
    struct Counts: Sendable, Equatable {
        var syncs = 0
        var failures = 0
    }

    private struct State: Sendable {
        /// A commit asked for a sync that has not started yet.
        var requested = false
        var stopping = false
        var ended = false
        var counts = Counts()
    }

    /// The log's path, as SQLite opened it.
    let path: String
    /// How long a sync waits after the commit that asked for it, so that the commits of
    /// those milliseconds share it.
    let delay: Duration
    private let state = Mutex(State())
    /// Signalled once per request (while one is pending, later commits join it) and to stop.
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let logger = Logger(label: "rebind.sqlite")

    init(logPath: String, delay: Duration) {
        path = logPath
        self.delay = delay
        let thread = Thread { [self] in run() }
        thread.name = "rebind-log-flusher"
        thread.start()
    }

    /// An ingest committed: the log has pages to sync.
    func committed() {
        let signal = state.withLock { state in
            if state.requested || state.stopping { return false }
            state.requested = true
            return true
        }
        if signal { wake.signal() }
    }

    /// Ends the thread and waits for it (at most for a sync in progress): no sync starts
    /// after this returns. The store calls it as it goes away; a second call returns at once.
    func stop() {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        wake.signal()
        finished.wait()
    }

    var counts: Counts { state.withLock { $0.counts } }
    /// Whether the thread has ended.
    var ended: Bool { state.withLock { $0.ended } }

    private func run() {
        var descriptor: Int32 = -1
        var failing = false
        defer {
            if descriptor >= 0 { close(descriptor) }
            state.withLock { $0.ended = true }
            finished.signal()
        }
        let seconds = delay.seconds
        while true {
            wake.wait()
            if state.withLock({ $0.stopping }) { return }
            // The commits of the next few milliseconds join this sync (a monotonic sleep).
            Thread.sleep(forTimeInterval: seconds)
            let stopping = state.withLock { state in
                state.requested = false
                return state.stopping
            }
            if stopping { return }

            // Opened on first use: the log exists once the writer has opened the database,
            // and stays the same file while it is open.
            if descriptor < 0 { descriptor = open(path, O_RDONLY | O_CLOEXEC) }
            let result = descriptor >= 0 ? Self.sync(descriptor) : -1
            let error = result == 0 ? nil : String(cString: strerror(errno))
            state.withLock { state in
                if error == nil { state.counts.syncs += 1 } else { state.counts.failures += 1 }
            }
            // Not retried: syncing here only shortens the writer's own syncs, and its
            // checkpoints still sync the log before they copy it.
            if let error, !failing {
                logger.warning(
                    "Cannot sync the SQLite log in the background; checkpoints still sync it",
                    metadata: ["sqlite.log": "\(path)", "error": "\(error)"]
                )
            } else if error == nil, failing {
                logger.notice("The SQLite log is synced in the background again", metadata: ["sqlite.log": "\(path)"])
            }
            failing = error != nil
        }
    }

    private static func sync(_ descriptor: Int32) -> Int32 {
        #if canImport(Glibc)
        fdatasync(descriptor)
        #else
        // Darwin's fsync leaves the data in the drive's cache.
        fcntl(descriptor, F_FULLFSYNC)
        #endif
    }
}
