import Foundation
import Logging
import RebindSQLite
import ServiceLifecycle
import Testing

@testable import RebindApp

@Suite("The SQLite checkpointer as a service of the app")
struct SQLiteCheckpointServiceTests {
    @Test("While the service runs the writer leaves checkpoints to it; when it stops, the writer has them back")
    func handsBack() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-checkpoint-\(UUID().uuidString)/rebind.sqlite").path
        let store = try SQLiteStore(configuration: .init(path: path))
        let checkpointer = try store.makeCheckpointer()
        var logger = Logger(label: "rebind-checkpoint-test")
        logger.logLevel = .critical
        let service = SQLiteCheckpointService(checkpointer: checkpointer, interval: .milliseconds(10), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let taken = await eventually(timeout: .seconds(10)) {
                try await checkpointer.writerThreshold() == SQLiteCheckpointer.backstopPages
            }
            #expect(taken)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try await checkpointer.writerThreshold() == SQLiteCheckpointer.defaultPages)
    }
}
