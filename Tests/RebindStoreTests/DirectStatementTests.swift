import Foundation
import GRDB
import Testing

@testable import RebindSQLite

/// The statements every event runs bind and read values themselves (DirectStatement): what they
/// store must be what GRDB stores, and a failure must leave the statement usable.
@Suite("SQLite statements bound directly")
struct DirectStatementTests {
    let queue: DatabaseQueue

    init() throws {
        queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT NOT NULL, number REAL, count INTEGER, flag INTEGER, bytes BLOB);
                    CREATE TABLE u (text TEXT, count INTEGER);
                    """
            )
        }
    }

    @Test("Values stored directly equal those GRDB stores, and read back the same")
    func roundTrip() throws {
        let texts = ["", "plain", "中文 交易机器人", "emoji 🤖", "quote ' and \" and \\\\", String(repeating: "x", count: 5000)]
        try queue.write { db in
            for (index, text) in texts.enumerated() {
                let number: Double? = index.isMultiple(of: 2) ? 1.5e-7 * Double(index) : nil
                let count: Int64? = index == 1 ? Int64.max : Int64(index) - 3
                let flag: Bool? = index == 2 ? nil : index.isMultiple(of: 3)
                let bytes = Data((0..<index * 7).map { UInt8(truncatingIfNeeded: $0 * 37) })
                try DirectStatement(db, sql: "INSERT INTO t (id, text, number, count, flag, bytes) VALUES (?, ?, ?, ?, ?, ?)")
                    .execute(index * 2, text, number, count, flag, bytes)
                try db.execute(
                    sql: "INSERT INTO t (id, text, number, count, flag, bytes) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [index * 2 + 1, text, number, count, flag, bytes]
                )
            }
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM t ORDER BY id")
            #expect(rows.count == texts.count * 2)
            for pair in stride(from: 0, to: rows.count, by: 2) {
                let direct = rows[pair]
                let grdb = rows[pair + 1]
                for column in ["text", "number", "count", "flag", "bytes"] {
                    #expect(direct[column] as DatabaseValue == grdb[column] as DatabaseValue, "column \(column) of row \(pair)")
                }
            }

            let read = try DirectStatement(db, sql: "SELECT text, number, count, flag FROM t WHERE id % 2 = 0 ORDER BY id")
                .fetchAll(table: "t") { row in
                    (try row.string(0), row.optionalDouble(1), row.optionalInt(2), row.optionalBool(3))
                }
            #expect(read.map(\.0) == texts)
            #expect(read[0].1 == 0 && read[1].1 == nil && read[2].1 == 3e-7)
            #expect(read[1].2 == Int.max && read[0].2 == -3)
            #expect(read[2].3 == nil && read[3].3 == true && read[1].3 == false)
        }
    }

    @Test("Arguments bound by position: a statement given too few or too many is refused before it runs")
    func argumentCount() throws {
        try queue.write { db in
            let insert = try DirectStatement(db, sql: "INSERT INTO u (text, count) VALUES (?, ?)")
            #expect(throws: DatabaseError.self) { try insert.execute("only one") }
            #expect(throws: DatabaseError.self) { try insert.execute("one", 2, 3) }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM u") == 0)
            try insert.execute("two", 2)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM u") == 1)
        }
    }

    @Test("A failed statement throws SQLite's error and runs again afterwards")
    func failureThenReuse() throws {
        try queue.write { db in
            let insert = try DirectStatement(db, sql: "INSERT INTO t (id, text) VALUES (?, ?)")
            try insert.execute(1, "first")
            do {
                try insert.execute(1, "again")
                Issue.record("expected a constraint error")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
                #expect(error.message?.contains("UNIQUE") == true)
            }
            let nothing: String? = nil
            #expect(throws: DatabaseError.self) { try insert.execute(2, nothing) }
            try insert.execute(2, "second")
            #expect(try String.fetchAll(db, sql: "SELECT text FROM t ORDER BY id") == ["first", "second"])
        }
    }

    @Test("A NULL where a value must be is a corrupt row naming the table and column")
    func nullColumn() throws {
        try queue.write { db in
            try db.execute(sql: "INSERT INTO u (text, count) VALUES (NULL, NULL)")
            let select = try DirectStatement(db, sql: "SELECT text, count FROM u")
            do {
                _ = try select.fetchAll(table: "u") { try $0.string(0) }
                Issue.record("expected a corrupt row")
            } catch let error as SQLiteStore.Error {
                #expect(error.description == "A row of u could not be read: text is NULL")
            }
            #expect(throws: SQLiteStore.Error.self) { try select.fetchAll(table: "u") { try $0.int(1) } }
            #expect(throws: SQLiteStore.Error.self) { try select.fetchAll(table: "u") { try $0.double(1) } }
            #expect(try select.fetchAll(table: "u") { [$0.optionalString(0) == nil, $0.optionalInt(1) == nil] } == [[true, true]])
        }
    }
}
