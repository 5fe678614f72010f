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
            let store = try await PostgresStore.open(configuration: postgres)
            let applied: [String]
            do {
                applied = try await store.migrate()
            } catch {
                await store.shutdown()
                throw error
            }
            await store.shutdown()
            print("Database \(postgres.redactedURL) is at schema: \(applied.joined(separator: ", "))")
        }
    }
}
