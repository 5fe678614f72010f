import Hummingbird
import Logging
import RebindCore

/// Builds the application from its configuration and dependencies. The executable calls it
/// with live dependencies; tests call it with fakes.
public func buildApplication(
    configuration: RebindConfiguration, dependencies: AppDependencies, logger: Logger
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: dependencies.metrics))
    HealthController(dependencies: dependencies).addRoutes(to: router)
    EventsController(secrets: configuration.eventsSecrets, dependencies: dependencies).addRoutes(to: router)

    if configuration.eventsSecrets.isEmpty {
        logger.warning("REBIND_EVENTS_SECRET is not set: POST /v1/events refuses every request")
    }
    let off = configuration.channelsOff
    if !off.isEmpty {
        logger.notice(
            "Chat channels off: \(off.joined(separator: ", ")). Set REBIND_TELEGRAM_BOT_TOKEN or REBIND_SLACK_BOT_TOKEN to turn one on.",
            metadata: ["chat.off": "\(off.joined(separator: ","))"])
    }
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "rebind"),
        logger: logger)
}
