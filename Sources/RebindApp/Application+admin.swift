import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import RebindCore

/// The admin listener's routes (DESIGN §3): `/healthz`, `/readyz`, `/metrics`, behind the
/// token or loopback-Host rule. The operator's console (DESIGN §11) adds its routes here.
public func buildAdminRouter(
    configuration: RebindConfiguration,
    dependencies: AppDependencies,
    adminRoutes: (@Sendable (Router<BasicRequestContext>) -> Void)? = nil
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: dependencies.metrics))
    let session = ConsoleSession(adminToken: configuration.adminToken)
    router.add(middleware: AdminAccessMiddleware(token: configuration.adminToken, session: session, now: dependencies.now))
    HealthController(dependencies: dependencies).addRoutes(to: router)
    if let notices = dependencies.store as? any NoticeOutbox {
        NoticeReplayController(store: notices, wakeup: dependencies.chat?.noticesWakeup, now: dependencies.now).addRoutes(to: router)
        if let console = dependencies.store as? any ConsoleStore {
            ConsoleController(
                store: console,
                notices: notices,
                dependencies: dependencies,
                session: session,
                adminToken: configuration.adminToken
            ).addRoutes(to: router)
        }
    }
    adminRoutes?(router)
    return router
}

/// The admin listener as an application of its own, on `REBIND_ADMIN_HOST`/`REBIND_ADMIN_PORT`.
/// `buildApplication` runs it as a service beside the public listener, so one graceful
/// shutdown stops both; tests drive it directly.
public func buildAdminApplication(
    configuration: RebindConfiguration,
    dependencies: AppDependencies,
    logger: Logger,
    adminRoutes: (@Sendable (Router<BasicRequestContext>) -> Void)? = nil
) -> some ApplicationProtocol {
    Application(
        router: buildAdminRouter(configuration: configuration, dependencies: dependencies, adminRoutes: adminRoutes),
        server: configuration.httpServer,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.adminHost, port: configuration.adminPort),
            serverName: "rebind"
        ),
        onServerRunning: { channel in
            logListening(channel, listener: "admin", host: configuration.adminHost, logger: logger)
        },
        logger: logger
    )
}

/// Logs the bound address: with port 0 the system picked it, and scripts read it here.
func logListening(_ channel: any NIOCore.Channel, listener: String, host: String, logger: Logger) {
    let port = channel.localAddress?.port ?? 0
    logger.notice(
        "The \(listener) listener is on \(host):\(port)",
        metadata: ["listener.name": "\(listener)", "listener.host": "\(host)", "listener.port": "\(port)"]
    )
}

extension RebindConfiguration {
    /// HTTP/1.1 on both listeners, closing a connection left idle (no complete request) for
    /// `REBIND_HTTP_IDLE_TIMEOUT_SECONDS`: keep-alive connections nobody uses, and headers
    /// trickled in a byte at a time (Hummingbird counts only decoded request parts as activity);
    /// and one whose request body has not arrived within `REBIND_HTTP_READ_TIMEOUT_SECONDS`.
    var httpServer: HTTPServerBuilder {
        let configuration = HTTP1Channel.Configuration(idleTimeout: Self.timeAmount(httpIdleTimeout))
        let readTimeout = Self.timeAmount(httpReadTimeout)
        return HTTPServerBuilder { responder in
            HTTP1ReadDeadlineChannel(http1: HTTP1Channel(responder: responder, configuration: configuration), readTimeout: readTimeout)
        }
    }

    private static func timeAmount(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64(seconds * 1_000_000_000))
    }
}
