import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RebindApp
import RebindCore
import RebindCrypto
import RebindHTTP
import RebindRendering
import RebindSimulator
import RebindTelegram
import RebindTemplates
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `rebind demo` (DESIGN §12): the real service on a scratch SQLite store, with a simulated
/// Telegram Bot API, simulated Binance and OKX and a simulated platform — each a real HTTP
/// server on loopback speaking the real wire format, so every byte takes the production path —
/// and a page at `http://127.0.0.1:<REBIND_ADMIN_PORT>/demo` that shows the trader's chat and
/// lets anyone click through a recovery.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Click through a whole recovery in a browser, against simulated Telegram, exchanges and platform.",
        discussion: """
            Reads no REBIND_* setting but REBIND_HTTP_PORT (8080) and REBIND_ADMIN_PORT (8081); \
            nothing leaves this computer. Stop it with Ctrl-C: its scratch store is removed.
            """
    )

    /// The simulated trader's Telegram chat.
    static let chatID: Int64 = 100_200_300

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let httpPort = try Self.port(environment, "REBIND_HTTP_PORT", default: 8080)
        let adminPort = try Self.port(environment, "REBIND_ADMIN_PORT", default: 8081)
        for (variable, port) in [("REBIND_HTTP_PORT", httpPort), ("REBIND_ADMIN_PORT", adminPort)] where !Self.isFree(port) {
            throw ValidationError("Port \(port) on 127.0.0.1 is in use: set \(variable) to a free port, e.g. \(variable)=\(port + 10) rebind demo")
        }
        var logger = Logger(label: "rebind-demo")
        logger.logLevel = .warning

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let telegram = try await FakeTelegramServer.start(limits: .unlimited)
        let binance = try await FakeBinanceServer.start(.workingKey)
        let okx = try await FakeOKXServer.start(.workingKey)
        let platformSecret = Self.randomSecret()
        let platform = try await FakePlatformServer.start(secret: platformSecret)
        let eventsSecret = Self.randomSecret()

        // Only these settings: nothing from the environment or a .env file (a real token there
        // must never reach the simulation, nor the simulation a real service).
        let settings = [
            "REBIND_HTTP_HOST": "127.0.0.1", "REBIND_HTTP_PORT": String(httpPort),
            "REBIND_ADMIN_HOST": "127.0.0.1", "REBIND_ADMIN_PORT": String(adminPort),
            "REBIND_DATABASE_URL": "sqlite://" + scratch.appendingPathComponent("rebind.sqlite").path,
            "REBIND_MASTER_KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString(),
            "REBIND_EVENTS_SECRET": eventsSecret,
            "REBIND_PLATFORM_URL": platform.url, "REBIND_PLATFORM_SECRET": platformSecret,
            "REBIND_TELEGRAM_BOT_TOKEN": telegram.token.value, "REBIND_TELEGRAM_API_URL": telegram.baseURL,
            "REBIND_TELEGRAM_MODE": "polling",
            "REBIND_BINANCE_API_URL": binance.baseURL, "REBIND_OKX_API_URL": okx.baseURL,
            "REBIND_GROUP_WAIT_SECONDS": "1", "REBIND_LOG_LEVEL": "warning",
        ]
        let configuration: RebindConfiguration
        let dependencies: AppDependencies
        do {
            configuration = try RebindConfiguration.load(from: settings)
            dependencies = try AppDependencies.live(configuration: configuration, logger: logger)
        } catch {
            throw ValidationError("The demo could not start: \(error)")
        }
        let simulation = DemoSimulation(
            telegram: telegram,
            platform: platform,
            eventsURL: "http://127.0.0.1:\(httpPort)/v1/events",
            eventsSecret: try WebhookSecret(eventsSecret, variable: "demo"),
            transport: try CurlTransport(logger: logger),
            pages: dependencies.renderer.demo,
            chatID: Self.chatID
        )
        let app = buildApplication(configuration: configuration, dependencies: dependencies, logger: logger) { router in
            simulation.addRoutes(to: router)
        }
        // Written at once, not buffered: a script that started the demo waits for this line.
        FileHandle.standardOutput.write(
            Data(
                """
                Rebind demo: open http://127.0.0.1:\(adminPort)/demo
                (a simulation: Telegram, Binance, OKX and the platform are stand-ins on this computer; Ctrl-C stops it)

                """.utf8
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            group.addTask { await simulation.resumeRobots() }
            try await group.next()
            group.cancelAll()
        }
        try? await telegram.shutdown()
        try? await binance.shutdown()
        try? await okx.shutdown()
        try? await platform.shutdown()
    }

    static func port(_ environment: [String: String], _ variable: String, default value: Int) throws -> Int {
        guard let text = environment[variable], !text.isEmpty else { return value }
        guard let port = Int(text), (1...65_535).contains(port) else {
            throw ValidationError("\(variable) must be a port number between 1 and 65535, not \"\(text)\"")
        }
        return port
    }

    /// Whether nothing listens on 127.0.0.1:`port`, by binding it for a moment.
    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        // As the server will: a port with connections still in TIME_WAIT is free to listen on.
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }

    static func randomSecret() -> String {
        "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }
}
