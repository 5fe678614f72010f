import ArgumentParser
import Foundation
import RebindApp
import RebindPostgres
import RebindSQLite

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or update the database schema, then exit.",
        discussion: """
            On SQLite, a database made before retention is switched once to incremental vacuum (a VACUUM \
            that rewrites the file; stop the service first and have as much free disk again as the file \
            takes), so the file shrinks as old records are deleted.
            """
    )

    func run() async throws {
        let configuration = try loadConfiguration()
        switch configuration.database {
        case .sqlite(let path):
            let applied = try SQLiteStore.migrate(path: path)
            print("Database \(path) is at schema: \(applied.joined(separator: ", "))")
            let store = try SQLiteStore(configuration: .init(path: path, serves: false))
            if try await !store.shrinksAsRowsGo() {
                // Once per database made before retention: stop the service first.
                print("Switching \(path) to incremental vacuum, so it shrinks as old records are deleted: one VACUUM rewrites the file…")
                let started = Date()
                _ = try await store.switchToIncrementalVacuum()
                print("Done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
            }
        case .postgres(let url):
            let postgres = try PostgresStore.Configuration(url: url.value)
            let applied = try await PostgresStore.withStore(configuration: postgres) { try await $0.migrate() }
            print("Database \(postgres.redactedURL) is at schema: \(applied.joined(separator: ", "))")
        }
    }
}
