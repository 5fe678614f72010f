import ArgumentParser
import RebindApp
import RebindSQLite

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or update the database schema, then exit.")

    func run() async throws {
        let configuration = try loadConfiguration()
        switch configuration.database {
        case .sqlite(let path):
            let applied = try SQLiteStore.migrate(path: path)
            print("Database \(path) is at schema: \(applied.joined(separator: ", "))")
        case .postgres:
            throw ValidationError("REBIND_DATABASE_URL: PostgreSQL is not available in this build yet; use sqlite://PATH")
        }
    }
}
