import ArgumentParser
import Foundation
import RebindApp
import RebindCore
import RebindPostgres
import RebindSQLite

struct Notices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The notices outbox.",
        subcommands: [Replay.self]
    )

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Requeue dead-lettered notices, so they are sent again; prints how many.",
            discussion: """
                Safe beside a running service: it sends them at its next look at the outbox (within a \
                second). A notice whose incident has since resolved is not sent again. The same as \
                POST /v1/admin/notices/replay on the admin listener.
                """
        )

        @Option(help: "Only those a refusal on this channel ended: telegram or slack.")
        var channel: String?

        @Option(help: "Only those dead-lettered at or after this RFC 3339 time (2026-12-05T08:00:00Z).")
        var since: String?

        func run() async throws {
            let configuration = try loadConfiguration()
            let selection: DeadNoticeSelection
            do {
                selection = try DeadNoticeSelection.parse(channel: channel, since: since)
            } catch {
                throw ValidationError("--\(error.field): \(error.message)")
            }
            let count: Int
            switch configuration.database {
            case .sqlite(let path):
                count = try await SQLiteStore(configuration: .init(path: path, serves: false)).requeueDeadNotices(selection, now: Date())
            case .postgres(let url):
                count = try await PostgresStore.withStore(configuration: try PostgresStore.Configuration(url: url.value)) {
                    try await $0.requeueDeadNotices(selection, now: Date())
                }
            }
            print("Requeued \(count) dead-lettered \(count == 1 ? "notice" : "notices").")
        }
    }
}
