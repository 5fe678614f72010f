import Foundation
import Logging
import PostgresNIO
import RebindCore
import Synchronization

/// The pool as the store uses it: a connection within `connectionWait` or an `unreachable`
/// error, transactions that roll back on a throw, and PostgreSQL's errors turned into the
/// store's (which name the server, never the password).
struct Connections: Sendable {
    let client: PostgresClient
    let configuration: PostgresStore.Configuration
    let logger: Logger

    @discardableResult
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let logger = logger
        return try await withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                // A failed COMMIT has already ended the transaction; ROLLBACK then only warns.
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Leases a connection for `body`. The wait for the lease is bounded; the work itself
    /// is not interrupted, so a transaction that started is never cut off half-way.
    @discardableResult
    func withConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let race = LeaseRace()
        let client = client
        let wait = configuration.connectionWait
        let server = configuration.server
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        guard race.settle(.leased) else { throw CancellationError() }
                        return try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) {
                            try await body(connection)
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: wait)
                    if race.settle(.timedOut) {
                        throw PostgresStore.Error.unreachable(server: server, reason: "no connection within \(wait)")
                    }
                    return nil
                }
                while let result = try await group.next() {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                throw CancellationError()
            }
        } catch {
            throw Self.storeError(error, server: server)
        }
    }

    /// Maps what postgres-nio throws to the store's errors. Server messages name tables and
    /// constraints, never values; `detail` (which may hold values) is left out.
    static func storeError(_ error: any Swift.Error, server: String) -> any Swift.Error {
        switch error {
        case is PostgresStore.Error, is CancellationError:
            return error
        case let error as PSQLError:
            if error.code == .server {
                let sqlState = error.serverInfo?[.sqlState] ?? "?"
                let message = error.serverInfo?[.message] ?? "no message"
                // Class 08 (connection), 28 (authorization), 3D (no such database), 57P (shutdown).
                if ["08", "28", "3D", "57"].contains(where: sqlState.hasPrefix) {
                    return PostgresStore.Error.unreachable(server: server, reason: "\(message) (SQLSTATE \(sqlState))")
                }
                return PostgresStore.Error.statementFailed(server: server, sqlState: sqlState, message: message)
            }
            let reason = error.underlying.map { String(describing: $0) } ?? String(describing: error.code)
            return PostgresStore.Error.unreachable(server: server, reason: reason)
        default:
            // The pool's own errors (circuit breaker tripped, shut down) are not public types.
            guard String(reflecting: type(of: error)).contains("ConnectionPoolError") else { return error }
            return PostgresStore.Error.unreachable(server: server, reason: String(describing: error))
        }
    }
}

/// Who settled a lease first: the pool (a connection came) or the timer (it did not).
final class LeaseRace: Sendable {
    enum State { case waiting, leased, timedOut }
    private let state = Mutex(State.waiting)

    func settle(_ outcome: State) -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = outcome
            return true
        }
    }
}

extension PostgresStore.Error {
    /// Errors after which the same transaction, run again, may succeed: a deadlock victim, a
    /// serialisation failure, or a unique key another replica took meanwhile.
    var isRetryable: Bool {
        if case .statementFailed(_, let sqlState, _) = self { ["40001", "40P01", "23505"].contains(sqlState) } else { false }
    }
}
