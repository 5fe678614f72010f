import Foundation
import GRDB
import GRDBSQLite

/// A cached statement run with its arguments bound straight into SQLite and its rows read by
/// column index, for the statements every event runs (bench/README.md, issue 15). GRDB's
/// `StatementArguments` first boxes every value into an array of `DatabaseValue`s, and its row
/// cursor builds a dictionary of the columns' lowercased names on every fetch; an event paid
/// about 15 µs of the writer's time for them. Values bind through GRDB's own `StatementBinding`,
/// so a value is stored exactly as GRDB stores it.
///
/// Only for statements that no transaction observer needs to see (Rebind registers none): the
/// statement runs without GRDB's bookkeeping around execution.
struct DirectStatement {
    private let statement: Statement
    private let db: Database

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
    }

    /// Runs the statement to its end with `values` bound in order.
    func execute<each Value: StatementBinding>(_ values: repeat each Value) throws {
        try bind(repeat each values)
        defer { finish() }
        while try step() {}
    }

    /// Every row the statement gives with `values` bound in order, each decoded while the
    /// statement stands on it. `table` names what the rows are of, in errors.
    func fetchAll<each Value: StatementBinding, Result>(
        _ values: repeat each Value,
        table: String,
        decode: (Columns) throws -> Result
    ) throws -> [Result] {
        try bind(repeat each values)
        defer { finish() }
        var results: [Result] = []
        let columns = Columns(handle: statement.sqliteStatement, table: table)
        while try step() {
            results.append(try decode(columns))
        }
        return results
    }

    private func bind<each Value: StatementBinding>(_ values: repeat each Value) throws {
        let handle = statement.sqliteStatement
        // The result of the last run was read when it ran; resetting only rewinds.
        sqlite3_reset(handle)
        var index: CInt = 0
        for value in repeat each values {
            index += 1
            let code = value.bind(to: handle, at: index)
            guard code == SQLITE_OK else { throw failure(code) }
        }
        guard index == sqlite3_bind_parameter_count(handle) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "\(index) values for \(sqlite3_bind_parameter_count(handle)) parameters",
                sql: statement.sql
            )
        }
    }

    /// One step: true on a row, false at the end.
    private func step() throws -> Bool {
        switch sqlite3_step(statement.sqliteStatement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw failure(code)
        }
    }

    /// Rewinds the statement and lets go of its values, so it holds no copy of a body or key.
    private func finish() {
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    private func failure(_ code: CInt) -> DatabaseError {
        let message = db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }

    /// The row a statement stands on, read by column index (from 0, in the statement's
    /// `SELECT` order).
    struct Columns {
        fileprivate let handle: SQLiteStatement
        fileprivate let table: String

        func isNull(_ index: CInt) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

        func string(_ index: CInt) throws -> String {
            guard let text = optionalString(index) else { throw nullColumn(index) }
            return text
        }

        func optionalString(_ index: CInt) -> String? {
            guard let text = sqlite3_column_text(handle, index) else { return nil }
            return String(cString: text)
        }

        func double(_ index: CInt) throws -> Double {
            guard !isNull(index) else { throw nullColumn(index) }
            return sqlite3_column_double(handle, index)
        }

        func optionalDouble(_ index: CInt) -> Double? {
            isNull(index) ? nil : sqlite3_column_double(handle, index)
        }

        func int(_ index: CInt) throws -> Int {
            guard !isNull(index) else { throw nullColumn(index) }
            return Int(sqlite3_column_int64(handle, index))
        }

        func optionalInt(_ index: CInt) -> Int? {
            isNull(index) ? nil : Int(sqlite3_column_int64(handle, index))
        }

        func optionalBool(_ index: CInt) -> Bool? {
            isNull(index) ? nil : sqlite3_column_int64(handle, index) != 0
        }

        private func nullColumn(_ index: CInt) -> SQLiteStore.Error {
            let name = sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "\(index)"
            return .corruptRow(table: table, detail: "\(name) is NULL")
        }
    }
}
