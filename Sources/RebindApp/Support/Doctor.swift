import Foundation
import Logging
import RebindCore
import RebindHTTP
import RebindPostgres
import RebindRendering
import RebindSQLite
import RebindTelegram

/// `rebind doctor`: checks the configuration, the templates, the store and each configured
/// outside service, and says what is wrong in words an operator can act on.
public struct Doctor: Sendable {
    public struct Check: Sendable, Equatable {
        public enum Outcome: String, Sendable {
            case ok, warning, failed
        }

        public var name: String
        public var outcome: Outcome
        public var detail: String
    }

    let configuration: RebindConfiguration
    let transport: any HTTPTransport

    public init(configuration: RebindConfiguration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    public func run() async -> [Check] {
        var checks: [Check] = []
        do {
            let renderer = try GuidanceRenderer.load(configuration: configuration)
            checks.append(
                Check(
                    name: "templates",
                    outcome: .ok,
                    detail:
                        "\(configuration.templatesDirectory.map { "built-in, overridden by \($0)" } ?? "built-in"): exchanges \(renderer.catalogue.exchangeIDs.sorted().joined(separator: ", "))"
                )
            )
        } catch {
            checks.append(Check(name: "templates", outcome: .failed, detail: String(describing: error)))
        }
        checks.append(await store())
        checks.append(
            configuration.eventsSecrets.isEmpty
                ? Check(name: "events secret", outcome: .warning, detail: "REBIND_EVENTS_SECRET is not set: every event is refused")
                : Check(name: "events secret", outcome: .ok, detail: "\(configuration.eventsSecrets.count) secret(s)")
        )
        if let telegram = configuration.telegram {
            checks.append(await self.telegram(telegram))
        } else {
            checks.append(Check(name: "telegram", outcome: .warning, detail: "off (REBIND_TELEGRAM_BOT_TOKEN is not set)"))
        }
        checks.append(await reachable("binance", url: configuration.binanceAPIURL + "/api/v3/time"))
        checks.append(await reachable("okx", url: configuration.okxAPIURL + "/api/v5/public/time"))
        if let platform = configuration.platform {
            checks.append(await reachable("platform", url: platform.url, anyAnswer: true))
        } else {
            checks.append(Check(name: "platform", outcome: .warning, detail: "standalone mode (REBIND_PLATFORM_URL is not set)"))
        }
        return checks
    }

    func store() async -> Check {
        switch configuration.database {
        case .sqlite(let path):
            do {
                let store = try SQLiteStore(configuration: .init(path: path, synchronous: configuration.sqliteSynchronous))
                try await store.checkReady()
                let level = try await store.synchronousLevel()
                return Check(
                    name: "store",
                    outcome: .ok,
                    detail: "sqlite \(path), \(try await store.eventCount()) events, synchronous=\(level == 2 ? "full" : "normal")"
                )
            } catch {
                return Check(name: "store", outcome: .failed, detail: String(describing: error))
            }
        case .postgres(let url):
            do {
                let postgres = try PostgresStore.Configuration(url: url.value)
                return try await PostgresStore.withStore(configuration: postgres) { store in
                    let schema = try await store.migrate().last ?? "none"
                    let events = try await store.eventCount()
                    return Check(name: "store", outcome: .ok, detail: "postgres \(postgres.redactedURL), \(events) events, schema \(schema)")
                }
            } catch {
                return Check(name: "store", outcome: .failed, detail: String(describing: error))
            }
        }
    }

    func telegram(_ telegram: RebindConfiguration.Telegram) async -> Check {
        do {
            let client = try TelegramClient(baseURL: telegram.apiURL, token: telegram.botToken, transport: transport)
            let bot = try await client.getMe()
            return Check(name: "telegram", outcome: .ok, detail: "bot @\(bot.username ?? "?"), \(telegram.mode.rawValue) mode")
        } catch {
            return Check(name: "telegram", outcome: .failed, detail: String(describing: error))
        }
    }

    /// Whether the service answers at all; `anyAnswer` accepts any status (the platform's
    /// endpoint takes only signed POSTs).
    func reachable(_ name: String, url: String, anyAnswer: Bool = false) async -> Check {
        do {
            let response = try await transport.send(HTTPRequest(method: "GET", url: url, timeout: 10))
            if response.isSuccess || anyAnswer {
                return Check(name: name, outcome: .ok, detail: "reachable (HTTP \(response.status))")
            }
            return Check(name: name, outcome: .failed, detail: "answered HTTP \(response.status)")
        } catch {
            return Check(name: name, outcome: .failed, detail: String(describing: error))
        }
    }
}
