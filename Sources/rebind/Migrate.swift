import ArgumentParser
import RebindApp
import RebindPostgres
import RebindSQLite

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or update the database schema, then exit.")

    func run() async throws {
        let configuration = try loadConfiguration()
        switch configuration.database {
        case .sqlite(let path):
            let applied = try SQLiteStore.migrate(path: path)
            print("Database \(path) is at schema: \(applied.joined(separator: ", "))")
        case .postgres(let url):
            let postgres = try PostgresStore.Configuration(url: url.value)
            let applied = try await PostgresStore.withStore(configuration: postgres) { try await $0.migrate() }
            print("Database \(postgres.redactedURL) is at schema: \(applied.joined(separator: ", "))")
        }
    }
}
