import ArgumentParser
import Foundation
import RebindApp
import RebindTemplates

@main
struct Rebind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebind",
        abstract: "Keeps trading robots running when their exchange API key breaks.",
        discussion: "Configuration comes from REBIND_* environment variables and an optional .env file.",
        version: "rebind \(BuildInfo.version) (commit \(BuildInfo.commit))",
        subcommands: [
            Serve.self, Migrate.self, Events.self, Preview.self, Link.self, Telegram.self, Exchange.self, Keys.self, Notices.self, Templates.self,
            Demo.self,
            DoctorCommand.self,
        ]
    )
}

/// The configuration from the environment and `.env`, or a clear message naming the variable.
func loadConfiguration() throws -> RebindConfiguration {
    let environment = try DotEnv.merged(environment: ProcessInfo.processInfo.environment)
    do {
        return try RebindConfiguration.load(from: environment)
    } catch {
        throw ValidationError(error.description)
    }
}
