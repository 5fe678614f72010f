import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindPostgres
import RebindSQLite

/// Everything the service reads from its environment (DESIGN §5). Loading validates it all,
/// so a bad or missing value stops start-up with a message naming the variable.
public struct RebindConfiguration: Sendable {
    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: Secret)
    }

    public enum TelegramMode: String, Sendable {
        case webhook, polling
    }

    public struct Telegram: Sendable {
        public var botToken: Secret
        public var webhookSecret: Secret?
        public var mode: TelegramMode
        public var apiURL: String
    }

    public struct Slack: Sendable {
        /// One workspace's bot token; nil when workspaces install through OAuth only.
        public var botToken: Secret?
        public var signingSecret: Secret
        public var apiURL: String
        /// OAuth v2 install flow for many workspaces (`GET /v1/slack/install`); nil when off.
        public var oauth: SlackOAuthSettings?
        /// Messages per second across all Slack DMs.
        public var rate = 10.0
    }

    public struct SlackOAuthSettings: Sendable {
        public var clientID: String
        public var clientSecret: Secret
        /// Slack's authorize page; a local server in tests.
        public var authorizeURL: String
        /// The callback Slack redirects to (`https://…/v1/slack/oauth/callback`); nil leaves
        /// it to the app's configured redirect URL.
        public var redirectURL: String?
    }

    public struct Platform: Sendable {
        public var url: String
        public var secret: WebhookSecret
    }

    public var httpHost = "127.0.0.1"
    public var httpPort = 8080
    /// The operator's listener (DESIGN §3): `/healthz`, `/readyz`, `/metrics`, later the console.
    public var adminHost = "127.0.0.1"
    public var adminPort = 8081
    /// Required as a bearer token on the admin routes when set; required off loopback.
    public var adminToken: Secret?
    /// How long a connection may sit without a complete request (idle keep-alive, or headers
    /// trickling in) before the server closes it, on both listeners.
    public var httpIdleTimeout: TimeInterval = 30
    /// How long a request may take to arrive in full once its headers have (a body sent a byte
    /// at a time), on both listeners.
    public var httpReadTimeout: TimeInterval = 30
    public var database = Database.sqlite(path: "rebind.sqlite")
    public var sqliteSynchronous = SQLiteStore.Synchronous.normal
    /// The 32-byte key-encryption key for stored secrets.
    public var masterKey: Secret?
    /// Keys of earlier rotations, still accepted for opening (`REBIND_MASTER_KEY_PREVIOUS`).
    public var previousMasterKeys: [Secret] = []
    /// Where the generated master key lives when none is configured (SQLite only).
    public var masterKeyFile: String?
    public var eventsSecrets: [WebhookSecret] = []
    public var platform: Platform?
    public var telegram: Telegram?
    public var slack: Slack?
    public var binanceAPIURL = "https://api.binance.com"
    public var okxAPIURL = "https://www.okx.com"
    public var helpURL: String?
    public var platformName: String?
    /// `REBIND_TEMPLATES_DIR`: a folder whose files replace the built-in templates' of the
    /// same path (and add new locales); nil uses the built-in templates as they are.
    public var templatesDirectory: String?
    public var incidentPolicy = IncidentPolicy()
    /// `REBIND_EXPIRY_WARN_DAYS`: days before a key's expiry at which its user is warned.
    public var expirySchedule = ExpirySchedule()
    /// How long a replica's claim on outbox work lasts; a replica that dies holds its work
    /// this long before another takes it over.
    public var outboxLease: TimeInterval = 60
    /// Messages per second across all Telegram chats (Telegram allows about 30).
    public var telegramRate = 25.0
    /// `REBIND_TELEGRAM_PAID_BROADCAST`: send with `allow_paid_broadcast`, which permits a
    /// rate above Telegram's free ~30 messages a second, each message charged in Stars.
    public var telegramPaidBroadcast = false
    /// Telegram's free broadcast limit, and the most a paid broadcast allows.
    public static let freeTelegramRate = 30.0
    public static let paidTelegramRate = 1000.0
    /// The bot's @username for link URLs; asked of Telegram (getMe) when unset.
    public var telegramBotUsername: String?
    public var logLevel = Logger.Level.info
    /// The language when nothing says which a user reads (DESIGN §4).
    public var defaultLocale = "en"
    /// The `https://` address at which Telegram users reach the public listener: with it, the
    /// bot offers the key form as a Mini App (DESIGN §3). No trailing slash.
    public var publicURL: String?
    /// The oldest Mini App launch data the key form accepts.
    public var keyFormMaxAge: TimeInterval = 600
    /// Finished records older than this many days are deleted (DESIGN §7).
    public var retentionDays = 90

    public init() {}

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case missing(variable: String, reason: String)
        case invalid(variable: String, reason: String)

        public var description: String {
            switch self {
            case .missing(let variable, let reason): "\(variable) is required: \(reason)"
            case .invalid(let variable, let reason): "\(variable) is not valid: \(reason)"
            }
        }
    }

    /// Reads the configuration from environment variables (with `.env` already merged in).
    public static func load(from environment: [String: String]) throws(Error) -> RebindConfiguration {
        let reader = Reader(environment: environment)
        var configuration = RebindConfiguration()

        configuration.httpHost = reader.string("REBIND_HTTP_HOST") ?? configuration.httpHost
        configuration.httpPort = try reader.integer("REBIND_HTTP_PORT", in: 0...65535) ?? configuration.httpPort
        configuration.adminHost = reader.string("REBIND_ADMIN_HOST") ?? configuration.adminHost
        configuration.adminPort = try reader.integer("REBIND_ADMIN_PORT", in: 0...65535) ?? configuration.adminPort
        if let token = reader.string("REBIND_ADMIN_TOKEN") {
            // Sent as `Authorization: Bearer <token>`: visible ASCII, and long enough not to guess.
            guard (16...256).contains(token.count), token.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw .invalid(
                    variable: "REBIND_ADMIN_TOKEN",
                    reason: "must be 16 to 256 visible ASCII characters without spaces (openssl rand -hex 32)"
                )
            }
            configuration.adminToken = Secret(token)
        }
        if configuration.adminToken == nil, !LoopbackHost.contains(configuration.adminHost) {
            throw .missing(
                variable: "REBIND_ADMIN_TOKEN",
                reason: "REBIND_ADMIN_HOST=\(configuration.adminHost) is not a loopback address, so the admin listener needs a bearer token"
            )
        }
        if configuration.adminPort != 0, configuration.adminPort == configuration.httpPort {
            throw .invalid(variable: "REBIND_ADMIN_PORT", reason: "must differ from REBIND_HTTP_PORT: the admin routes have a listener of their own")
        }
        if let idle = try reader.seconds("REBIND_HTTP_IDLE_TIMEOUT_SECONDS") {
            guard idle > 0 else { throw .invalid(variable: "REBIND_HTTP_IDLE_TIMEOUT_SECONDS", reason: "must be more than 0 seconds") }
            configuration.httpIdleTimeout = idle
        }
        if let read = try reader.seconds("REBIND_HTTP_READ_TIMEOUT_SECONDS") {
            guard read > 0 else { throw .invalid(variable: "REBIND_HTTP_READ_TIMEOUT_SECONDS", reason: "must be more than 0 seconds") }
            configuration.httpReadTimeout = read
        }

        let databaseURL = reader.string("REBIND_DATABASE_URL") ?? "sqlite://rebind.sqlite"
        configuration.database = try parseDatabase(databaseURL)
        if let synchronous = reader.string("REBIND_SQLITE_SYNCHRONOUS") {
            guard let value = SQLiteStore.Synchronous(rawValue: synchronous.lowercased()) else {
                throw .invalid(variable: "REBIND_SQLITE_SYNCHRONOUS", reason: "use normal or full")
            }
            configuration.sqliteSynchronous = value
        }

        if let key = reader.string("REBIND_MASTER_KEY") {
            guard let bytes = Data(base64Encoded: key), bytes.count == 32 else {
                throw .invalid(variable: "REBIND_MASTER_KEY", reason: "must be 32 bytes in base64 (openssl rand -base64 32)")
            }
            configuration.masterKey = Secret(key)
        } else {
            switch configuration.database {
            case .sqlite(let path): configuration.masterKeyFile = path + ".masterkey"
            case .postgres:
                throw .missing(
                    variable: "REBIND_MASTER_KEY",
                    reason: "with PostgreSQL every replica must share one key; generate it with openssl rand -base64 32"
                )
            }
        }

        // Keys that sealed what is stored before a rotation: still opened, never used to seal.
        // During `rebind keys rotate` on a live cluster, replicas run with the new key as
        // REBIND_MASTER_KEY and the old one here, so neither key's ciphertexts are lost.
        if let previous = reader.string("REBIND_MASTER_KEY_PREVIOUS") {
            for key in previous.split(whereSeparator: \.isWhitespace) {
                guard let bytes = Data(base64Encoded: String(key)), bytes.count == 32 else {
                    throw .invalid(variable: "REBIND_MASTER_KEY_PREVIOUS", reason: "each key must be 32 bytes in base64")
                }
                configuration.previousMasterKeys.append(Secret(String(key)))
            }
        }

        if let secrets = reader.string("REBIND_EVENTS_SECRET") {
            do {
                configuration.eventsSecrets = try WebhookSecret.list(secrets, variable: "REBIND_EVENTS_SECRET")
            } catch {
                throw .invalid(variable: "REBIND_EVENTS_SECRET", reason: error.description)
            }
        }

        let platformURL = reader.string("REBIND_PLATFORM_URL")
        let platformSecret = reader.string("REBIND_PLATFORM_SECRET")
        if let platformURL {
            try requireHTTPURL(platformURL, variable: "REBIND_PLATFORM_URL")
            guard let platformSecret else {
                throw .missing(variable: "REBIND_PLATFORM_SECRET", reason: "binding updates sent to REBIND_PLATFORM_URL must be signed")
            }
            do {
                configuration.platform = Platform(
                    url: platformURL,
                    secret: try WebhookSecret(platformSecret, variable: "REBIND_PLATFORM_SECRET")
                )
            } catch {
                throw .invalid(variable: "REBIND_PLATFORM_SECRET", reason: error.description)
            }
        }

        if let token = reader.string("REBIND_TELEGRAM_BOT_TOKEN") {
            let modeText = reader.string("REBIND_TELEGRAM_MODE") ?? "webhook"
            guard let mode = TelegramMode(rawValue: modeText) else {
                throw .invalid(variable: "REBIND_TELEGRAM_MODE", reason: "use webhook or polling")
            }
            let webhookSecret = reader.string("REBIND_TELEGRAM_WEBHOOK_SECRET")
            if let webhookSecret {
                // Telegram takes 1–256 of A–Z, a–z, 0–9, _ and -; fewer than 16 is guessable.
                guard (16...256).contains(webhookSecret.count),
                    webhookSecret.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
                else {
                    throw .invalid(
                        variable: "REBIND_TELEGRAM_WEBHOOK_SECRET",
                        reason: "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (openssl rand -hex 32)"
                    )
                }
            }
            if mode == .webhook, webhookSecret == nil {
                throw .missing(
                    variable: "REBIND_TELEGRAM_WEBHOOK_SECRET",
                    reason: "in webhook mode Telegram's calls are checked against it (or set REBIND_TELEGRAM_MODE=polling)"
                )
            }
            let apiURL = reader.string("REBIND_TELEGRAM_API_URL") ?? "https://api.telegram.org"
            try requireHTTPURL(apiURL, variable: "REBIND_TELEGRAM_API_URL")
            configuration.telegram = Telegram(
                botToken: Secret(token),
                webhookSecret: webhookSecret.map(Secret.init),
                mode: mode,
                apiURL: apiURL
            )
        }

        let slackToken = reader.string("REBIND_SLACK_BOT_TOKEN")
        let slackClientID = reader.string("REBIND_SLACK_CLIENT_ID")
        if slackToken != nil || slackClientID != nil {
            guard let signingSecret = reader.string("REBIND_SLACK_SIGNING_SECRET") else {
                throw .missing(variable: "REBIND_SLACK_SIGNING_SECRET", reason: "Slack's requests are verified with it")
            }
            let apiURL = reader.string("REBIND_SLACK_API_URL") ?? "https://slack.com/api"
            try requireHTTPURL(apiURL, variable: "REBIND_SLACK_API_URL")
            var slack = Slack(botToken: slackToken.map(Secret.init), signingSecret: Secret(signingSecret), apiURL: apiURL)
            if let clientID = slackClientID {
                guard let clientSecret = reader.string("REBIND_SLACK_CLIENT_SECRET") else {
                    throw .missing(variable: "REBIND_SLACK_CLIENT_SECRET", reason: "the OAuth install exchanges its code with it")
                }
                let authorizeURL = reader.string("REBIND_SLACK_OAUTH_URL") ?? "https://slack.com/oauth/v2/authorize"
                try requireHTTPURL(authorizeURL, variable: "REBIND_SLACK_OAUTH_URL")
                let redirectURL = reader.string("REBIND_SLACK_REDIRECT_URL")
                if let redirectURL { try requireHTTPURL(redirectURL, variable: "REBIND_SLACK_REDIRECT_URL") }
                slack.oauth = SlackOAuthSettings(
                    clientID: clientID,
                    clientSecret: Secret(clientSecret),
                    authorizeURL: authorizeURL,
                    redirectURL: redirectURL
                )
            }
            if let rate = try reader.seconds("REBIND_SLACK_RATE") {
                guard rate > 0 else { throw .invalid(variable: "REBIND_SLACK_RATE", reason: "must be more than 0 messages per second") }
                slack.rate = rate
            }
            configuration.slack = slack
        }

        if let url = reader.string("REBIND_BINANCE_API_URL") {
            try requireHTTPURL(url, variable: "REBIND_BINANCE_API_URL")
            configuration.binanceAPIURL = url
        }
        if let url = reader.string("REBIND_OKX_API_URL") {
            try requireHTTPURL(url, variable: "REBIND_OKX_API_URL")
            configuration.okxAPIURL = url
        }
        if let url = reader.string("REBIND_HELP_URL") {
            try requireHTTPURL(url, variable: "REBIND_HELP_URL")
            configuration.helpURL = url
        }
        configuration.platformName = reader.string("REBIND_PLATFORM_NAME")
        configuration.templatesDirectory = reader.string("REBIND_TEMPLATES_DIR") ?? configuration.templatesDirectory

        var policy = IncidentPolicy()
        policy.groupWait = try reader.seconds("REBIND_GROUP_WAIT_SECONDS") ?? policy.groupWait
        policy.repeatInterval = try reader.seconds("REBIND_REPEAT_INTERVAL_SECONDS") ?? policy.repeatInterval
        policy.maxReminders = try reader.integer("REBIND_MAX_REMINDERS", in: 0...100) ?? policy.maxReminders
        policy.urgentMaxWait = try reader.seconds("REBIND_URGENT_MAX_WAIT_SECONDS") ?? policy.urgentMaxWait
        configuration.incidentPolicy = policy
        if let days = try reader.days("REBIND_EXPIRY_WARN_DAYS") {
            configuration.expirySchedule = ExpirySchedule(days: days)
        }
        if let lease = try reader.seconds("REBIND_OUTBOX_LEASE_SECONDS") {
            // Longer than a send can take (opening a Slack DM and posting, 10 s each), or a
            // message still being sent could be claimed again by another replica.
            guard lease >= 30 else { throw .invalid(variable: "REBIND_OUTBOX_LEASE_SECONDS", reason: "must be at least 30 seconds") }
            configuration.outboxLease = lease
        }

        configuration.telegramPaidBroadcast = try reader.bool("REBIND_TELEGRAM_PAID_BROADCAST") ?? false
        if let rate = try reader.seconds("REBIND_TELEGRAM_RATE") {
            guard rate > 0 else { throw .invalid(variable: "REBIND_TELEGRAM_RATE", reason: "must be more than 0 messages per second") }
            if configuration.telegramPaidBroadcast {
                guard rate <= Self.paidTelegramRate else {
                    throw .invalid(
                        variable: "REBIND_TELEGRAM_RATE",
                        reason: "must be at most 1000 messages per second, Telegram's paid broadcast limit"
                    )
                }
            } else {
                guard rate <= Self.freeTelegramRate else {
                    throw .invalid(
                        variable: "REBIND_TELEGRAM_RATE",
                        reason:
                            "above 30 messages per second Telegram refuses broadcasts unless they are paid: set REBIND_TELEGRAM_PAID_BROADCAST=true (each message is charged in Telegram Stars) or a rate of at most 30"
                    )
                }
            }
            configuration.telegramRate = rate
        }
        configuration.telegramBotUsername = reader.string("REBIND_TELEGRAM_BOT_USERNAME")
        if let publicURL = reader.string("REBIND_PUBLIC_URL") {
            try requireHTTPURL(publicURL, variable: "REBIND_PUBLIC_URL")
            guard let url = URL(string: publicURL), url.query == nil, url.fragment == nil else {
                throw .invalid(variable: "REBIND_PUBLIC_URL", reason: "must be the listener's address alone, without ?query or #fragment")
            }
            // Telegram opens Mini Apps over https only; http:// is taken for loopback tests.
            configuration.publicURL = String(publicURL.reversed().drop(while: { $0 == "/" }).reversed())
        }
        configuration.retentionDays = try reader.integer("REBIND_RETENTION_DAYS", in: 1...36500) ?? configuration.retentionDays
        if let seconds = try reader.integer("REBIND_KEYFORM_MAX_AGE_SECONDS", in: 30...86400) {
            configuration.keyFormMaxAge = TimeInterval(seconds)
        }
        if let locale = reader.string("REBIND_DEFAULT_LOCALE") {
            guard LocaleMatcher.isLanguageTag(locale) else {
                throw .invalid(variable: "REBIND_DEFAULT_LOCALE", reason: "must be a language tag such as en or zh-Hans")
            }
            configuration.defaultLocale = locale
        }

        if let level = reader.string("REBIND_LOG_LEVEL") {
            guard let value = Logger.Level(rawValue: level.lowercased()) else {
                throw .invalid(variable: "REBIND_LOG_LEVEL", reason: "use trace, debug, info, notice, warning, error or critical")
            }
            configuration.logLevel = value
        }
        return configuration
    }

    /// Channels that are off, for the start-up log.
    public var channelsOff: [String] {
        (telegram == nil ? ["telegram"] : []) + (slack == nil ? ["slack"] : [])
    }

    static func parseDatabase(_ url: String) throws(Error) -> Database {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else {
                throw .invalid(variable: "REBIND_DATABASE_URL", reason: "sqlite:// needs a file path, e.g. sqlite://rebind.sqlite")
            }
            return .sqlite(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            do {
                _ = try PostgresStore.Configuration(url: url)
            } catch {
                throw .invalid(variable: "REBIND_DATABASE_URL", reason: error.description)
            }
            return .postgres(url: Secret(url))
        }
        throw .invalid(variable: "REBIND_DATABASE_URL", reason: "use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB")
    }

    /// These URLs carry credentials (a signed key, a bot token, a passphrase's signature): they
    /// must be https://, except to a loopback host (tests, local staging), where nothing
    /// crosses a network.
    static func requireHTTPURL(_ value: String, variable: String) throws(Error) {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw .invalid(variable: variable, reason: "must be an https:// URL")
        }
        guard scheme == "https" || LoopbackHost.contains(host) else {
            throw .invalid(variable: variable, reason: "must be https:// (it carries credentials); http:// is allowed only to a loopback host")
        }
    }

    struct Reader {
        var environment: [String: String]

        /// A set, non-blank value; blank counts as unset.
        func string(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                return nil
            }
            return value
        }

        func integer(_ name: String, in range: ClosedRange<Int>) throws(Error) -> Int? {
            guard let text = string(name) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw .invalid(variable: name, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }

        /// `true`/`false` (also `1`/`0`, `yes`/`no`, any case).
        func bool(_ name: String) throws(Error) -> Bool? {
            guard let text = string(name)?.lowercased() else { return nil }
            switch text {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw .invalid(variable: name, reason: "must be true or false")
            }
        }

        /// Whole days from 1 to 365, comma-separated (`7,3,1`); `none` for no day at all.
        func days(_ name: String) throws(Error) -> [Int]? {
            guard let text = string(name) else { return nil }
            if text.lowercased() == "none" { return [] }
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let days = parts.compactMap { Int($0) }.filter { (1...365).contains($0) }
            guard days.count == parts.count else {
                throw .invalid(variable: name, reason: "must be whole days from 1 to 365 separated by commas (7,3,1), or none")
            }
            return days
        }

        func seconds(_ name: String) throws(Error) -> TimeInterval? {
            guard let text = string(name) else { return nil }
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw .invalid(variable: name, reason: "must be a number of seconds, 0 or more")
            }
            return value
        }
    }
}
