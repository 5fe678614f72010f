import Foundation
import RebindCore
import Testing

@testable import RebindSQLite

@Suite("SQLite's write-ahead log synced in the background")
struct SQLiteLogFlusherTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-logsync-\(UUID().uuidString)")
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func event(_ index: Int) -> IncomingEvent {
        let event = RobotEvent(
            type: .robotPaused,
            occurredAt: now,
            user: .init(id: "u_\(index)"),
            account: .init(id: "acc_\(index)", exchange: "binance"),
            robot: .init(id: "rb_1", name: "Grid"),
            reason: .init(text: "API expired or no permission")
        )
        return IncomingEvent(id: "evt_\(index)", event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
    }

    /// Waits, up to a deadline, until the flusher has synced (or failed to) as often as given.
    func counts(of flusher: SQLiteLogFlusher, reach predicate: (SQLiteLogFlusher.Counts) -> Bool) async throws -> SQLiteLogFlusher.Counts {
        let deadline = ContinuousClock.now + .seconds(10)
        while !predicate(flusher.counts), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        return flusher.counts
    }

    @Test("With normal durability, the log is synced after events commit, without waiting for a checkpoint")
    func syncsAfterCommits() async throws {
        let store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("rebind.sqlite").path))
        let flusher = try #require(store.logFlusher)
        #expect(flusher.path.hasSuffix("rebind.sqlite-wal"))
        #expect(flusher.counts == .init(syncs: 0, failures: 0), "nothing committed, nothing synced")

        for index in 0..<3 { #expect(try await store.ingest(event(index)) == .stored(cause: .keyExpired)) }
        let counts = try await counts(of: flusher) { $0.syncs >= 1 }
        #expect(counts.syncs >= 1)
        #expect(counts.failures == 0)
        #expect(try await store.eventCount() == 3)
    }

    @Test("With full durability every commit is synced already: no flusher; nor for a process that does not serve the file")
    func noFlusherWhenNotNeeded() throws {
        let full = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("full.sqlite").path, synchronous: .full))
        #expect(full.logFlusher == nil)
        let command = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("command.sqlite").path, serves: false))
        #expect(command.logFlusher == nil)
        var settings = SQLiteStore.Configuration(path: directory.appendingPathComponent("off.sqlite").path)
        settings.logSyncDelay = nil
        #expect(try SQLiteStore(configuration: settings).logFlusher == nil)
    }

    @Test("A log that is not there yet fails its sync and is opened once it exists; stopped, the flusher syncs no more")
    func opensLateAndStops() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("late.sqlite-wal").path
        let flusher = SQLiteLogFlusher(logPath: path, delay: .milliseconds(1))

        flusher.committed()
        #expect(try await counts(of: flusher) { $0.failures >= 1 } == .init(syncs: 0, failures: 1))

        #expect(FileManager.default.createFile(atPath: path, contents: Data("log".utf8)))
        flusher.committed()
        #expect(try await counts(of: flusher) { $0.syncs >= 1 } == .init(syncs: 1, failures: 1))

        #expect(!flusher.ended)
        flusher.stop()
        // The thread has ended (stop waits for it): nothing can sync after this.
        #expect(flusher.ended)
        flusher.committed()
        flusher.stop()
        #expect(flusher.counts == .init(syncs: 1, failures: 1))
    }

    @Test("A database opened through a symbolic link has its log synced where SQLite writes it, beside the real file")
    func symbolicLink() async throws {
        let real = directory.appendingPathComponent("real")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        let link = directory.appendingPathComponent("linked.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: real.appendingPathComponent("rebind.sqlite").path)

        let store = try SQLiteStore(configuration: .init(path: link.path))
        let flusher = try #require(store.logFlusher)
        #expect(flusher.path == real.appendingPathComponent("rebind.sqlite-wal").path)
        #expect(try await store.ingest(event(1)) == .stored(cause: .keyExpired))
        #expect(try await counts(of: flusher) { $0.syncs >= 1 } == .init(syncs: 1, failures: 0))
    }
}
