import ArgumentParser
import Hummingbird
import Logging
import RebindApp

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service.")

    func run() async throws {
        let configuration = try loadConfiguration()
        var logger = Logger(label: "rebind", factory: { ServiceLogHandler(label: $0) })
        logger.logLevel = configuration.logLevel
        let dependencies: AppDependencies
        do {
            dependencies = try AppDependencies.live(configuration: configuration, logger: logger)
        } catch {
            throw ValidationError(String(describing: error))
        }
        let app = buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
        try await app.runService()
    }
}
