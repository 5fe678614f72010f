/// Runs `body` with a started fake server and shuts the server down afterwards, whether or
/// not `body` throws, so a failing test leaves no listener behind.
func withShutdown<Server: Sendable, Result: Sendable>(
    _ server: Server,
    shutdown: (Server) async throws -> Void,
    _ body: (Server) async throws -> Result
) async throws -> Result {
    let result: Result
    do {
        result = try await body(server)
    } catch {
        try await shutdown(server)
        throw error
    }
    try await shutdown(server)
    return result
}
