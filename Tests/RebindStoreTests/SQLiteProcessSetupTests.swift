import CSQLiteSetup
import Foundation
import GRDBSQLite
import Testing

@testable import RebindSQLite

/// SQLite's process-wide options (no mutex per call or per allocation) are set before its first
/// connection; once SQLite runs, another attempt changes nothing.
@Suite("SQLite's process-wide options")
struct SQLiteProcessSetupTests {
    @Test("Set once before the first connection; a later attempt is refused and changes nothing")
    func setOnce() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-setup-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(configuration: .init(path: path, serves: false))
        try await store.checkReady()
        // Another test of this process may have opened SQLite first: then the options were
        // refused, and SQLite runs as it was built.
        #expect([SQLITE_OK, SQLITE_MISUSE].contains(SQLiteStore.processSetup))
        if SQLiteStore.processSetup == SQLITE_OK {
            // Without memory statistics, SQLite counts no allocation.
            #expect(sqlite3_memory_used() == 0)
        }
        #expect(rebind_sqlite_setup() == SQLITE_MISUSE, "SQLite is running: its options stay as they are")
        #expect(try await store.eventCount() == 0)
    }
}
