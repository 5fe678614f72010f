import Foundation
import RebindApp
import RebindCore
import RebindRendering
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    func error(_ environment: [String: String]) -> String? {
        do {
            _ = try RebindConfiguration.load(from: environment)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("With nothing set, the service runs on the embedded defaults with every channel off")
    func defaults() throws {
        let configuration = try RebindConfiguration.load(from: [:])
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8080)
        #expect(configuration.database == .sqlite(path: "rebind.sqlite"))
        #expect(configuration.masterKeyFile == "rebind.sqlite.masterkey")
        #expect(configuration.eventsSecrets.isEmpty)
        #expect(configuration.platform == nil)
        #expect(configuration.channelsOff == ["telegram", "slack"])
        #expect(configuration.incidentPolicy == IncidentPolicy(groupWait: 10, repeatInterval: 86400, maxReminders: 3))
    }

    @Test("REBIND_EXPIRY_WARN_DAYS is whole days, 7,3,1 by default, none for no warnings; anything else names the variable")
    func expiryWarnDays() throws {
        #expect(try RebindConfiguration.load(from: [:]).expirySchedule.days == [7, 3, 1])
        #expect(try RebindConfiguration.load(from: ["REBIND_EXPIRY_WARN_DAYS": "1, 14,2"]).expirySchedule.days == [14, 2, 1])
        #expect(try RebindConfiguration.load(from: ["REBIND_EXPIRY_WARN_DAYS": "none"]).expirySchedule.days.isEmpty)
        for bad in ["7,x", "0", "7,,1", "400", "-1", "2.5"] {
            #expect(error(["REBIND_EXPIRY_WARN_DAYS": bad])?.hasPrefix("REBIND_EXPIRY_WARN_DAYS is not valid") == true, "\(bad)")
        }
    }

    @Test("REBIND_PUBLIC_URL is an https address (http only to loopback), without query or fragment; the key form's age bound is whole seconds")
    func publicURL() throws {
        #expect(try RebindConfiguration.load(from: [:]).publicURL == nil)
        #expect(try RebindConfiguration.load(from: ["REBIND_PUBLIC_URL": "https://rebind.example.com/"]).publicURL == "https://rebind.example.com")
        #expect(try RebindConfiguration.load(from: ["REBIND_PUBLIC_URL": "https://example.com/rebind"]).publicURL == "https://example.com/rebind")
        #expect(try RebindConfiguration.load(from: ["REBIND_PUBLIC_URL": "http://127.0.0.1:8080"]).publicURL == "http://127.0.0.1:8080")
        for refused in ["http://rebind.example.com", "https://rebind.example.com/?a=1", "https://rebind.example.com/#x", "rebind.example.com"] {
            #expect(error(["REBIND_PUBLIC_URL": refused])?.contains("REBIND_PUBLIC_URL") == true, "\(refused)")
        }
        #expect(try RebindConfiguration.load(from: [:]).keyFormMaxAge == 600)
        #expect(try RebindConfiguration.load(from: ["REBIND_KEYFORM_MAX_AGE_SECONDS": "300"]).keyFormMaxAge == 300)
        for refused in ["0", "-5", "ten", "100000"] {
            #expect(error(["REBIND_KEYFORM_MAX_AGE_SECONDS": refused])?.contains("REBIND_KEYFORM_MAX_AGE_SECONDS") == true, "\(refused)")
        }
    }

    @Test("REBIND_DEFAULT_LOCALE takes a language tag the templates have, and refuses others naming the variable")
    func defaultLocale() throws {
        #expect(try RebindConfiguration.load(from: [:]).defaultLocale == "en")
        #expect(try RebindConfiguration.load(from: ["REBIND_DEFAULT_LOCALE": "zh-CN"]).defaultLocale == "zh-CN")
        #expect(error(["REBIND_DEFAULT_LOCALE": "not a tag"])?.hasPrefix("REBIND_DEFAULT_LOCALE is not valid") == true)
        // A well-formed tag without templates stops start-up rather than quietly speak English.
        var configuration = try RebindConfiguration.load(from: ["REBIND_DEFAULT_LOCALE": "fr"])
        configuration.templatesDirectory = TestEnvironment.templatesDirectory.path
        #expect(throws: RebindConfiguration.Error.self) { try GuidanceRenderer.load(configuration: configuration) }
        configuration.defaultLocale = "zh-Hans"
        #expect(try GuidanceRenderer.load(configuration: configuration).replies.matcher(defaultLocale: "zh-Hans").defaultLocale == "zh-Hans")
    }

    @Test("The admin listener defaults to 127.0.0.1:8081 with no token; a non-loopback host without a token stops start-up naming both variables")
    func adminListener() throws {
        let defaults = try RebindConfiguration.load(from: [:])
        #expect(defaults.adminHost == "127.0.0.1")
        #expect(defaults.adminPort == 8081)
        #expect(defaults.adminToken == nil)
        #expect(defaults.httpIdleTimeout == 30)
        for host in ["0.0.0.0", "10.0.0.7", "::", "rebind.internal"] {
            let message = try #require(error(["REBIND_ADMIN_HOST": host]))
            #expect(message.hasPrefix("REBIND_ADMIN_TOKEN is required"), "\(message)")
            #expect(message.contains("REBIND_ADMIN_HOST"), "\(message)")
        }
        for host in ["127.0.0.1", "localhost", "::1"] {
            #expect(try RebindConfiguration.load(from: ["REBIND_ADMIN_HOST": host]).adminHost == host)
        }
        let token = "adm_0123456789abcdef"
        let open = try RebindConfiguration.load(from: ["REBIND_ADMIN_HOST": "0.0.0.0", "REBIND_ADMIN_PORT": "0", "REBIND_ADMIN_TOKEN": token])
        #expect(open.adminPort == 0)
        #expect(open.adminToken?.value == token)
        #expect(error(["REBIND_ADMIN_PORT": "65536"])?.hasPrefix("REBIND_ADMIN_PORT is not valid") == true)
        #expect(error(["REBIND_ADMIN_PORT": "8080"])?.hasPrefix("REBIND_ADMIN_PORT is not valid") == true)
        #expect(error(["REBIND_HTTP_PORT": "9000", "REBIND_ADMIN_PORT": "9000"])?.contains("REBIND_HTTP_PORT") == true)
        #expect(try RebindConfiguration.load(from: ["REBIND_HTTP_PORT": "0", "REBIND_ADMIN_PORT": "0"]).adminPort == 0)
        // A short or unsendable token is refused without echoing it.
        for bad in ["short", "has a space in it, 1234", "ünïcödé-token-0123456"] {
            let message = try #require(error(["REBIND_ADMIN_TOKEN": bad]))
            #expect(message.hasPrefix("REBIND_ADMIN_TOKEN is not valid"))
            #expect(!message.contains(bad))
        }
        #expect(try RebindConfiguration.load(from: ["REBIND_HTTP_IDLE_TIMEOUT_SECONDS": "2.5"]).httpIdleTimeout == 2.5)
        #expect(error(["REBIND_HTTP_IDLE_TIMEOUT_SECONDS": "0"])?.hasPrefix("REBIND_HTTP_IDLE_TIMEOUT_SECONDS is not valid") == true)
        #expect(defaults.httpReadTimeout == 30)
        #expect(try RebindConfiguration.load(from: ["REBIND_HTTP_READ_TIMEOUT_SECONDS": "5"]).httpReadTimeout == 5)
        #expect(error(["REBIND_HTTP_READ_TIMEOUT_SECONDS": "-1"])?.hasPrefix("REBIND_HTTP_READ_TIMEOUT_SECONDS is not valid") == true)
    }

    @Test("A missing required secret stops start-up naming the variable")
    func missingSecrets() {
        #expect(error(["REBIND_PLATFORM_URL": "https://platform.example/rebind"])?.hasPrefix("REBIND_PLATFORM_SECRET is required") == true)
        #expect(error(["REBIND_TELEGRAM_BOT_TOKEN": "123:abc"])?.hasPrefix("REBIND_TELEGRAM_WEBHOOK_SECRET is required") == true)
        #expect(error(["REBIND_SLACK_BOT_TOKEN": "xoxb-1"])?.hasPrefix("REBIND_SLACK_SIGNING_SECRET is required") == true)
        #expect(error(["REBIND_DATABASE_URL": "postgres://rebind@db/rebind"])?.hasPrefix("REBIND_MASTER_KEY is required") == true)
    }

    @Test("Invalid values are refused naming the variable, without echoing secrets")
    func invalidValues() {
        #expect(error(["REBIND_HTTP_PORT": "eighty"])?.hasPrefix("REBIND_HTTP_PORT is not valid") == true)
        #expect(error(["REBIND_HTTP_PORT": "70000"])?.hasPrefix("REBIND_HTTP_PORT is not valid") == true)
        #expect(error(["REBIND_DATABASE_URL": "mysql://x"])?.hasPrefix("REBIND_DATABASE_URL is not valid") == true)
        #expect(error(["REBIND_MASTER_KEY": "c2hvcnQ="])?.hasPrefix("REBIND_MASTER_KEY is not valid") == true)
        #expect(
            error(["REBIND_TELEGRAM_API_URL": "ftp://x", "REBIND_TELEGRAM_BOT_TOKEN": "1:a", "REBIND_TELEGRAM_WEBHOOK_SECRET": "s-long-enough-123"])?
                .hasPrefix("REBIND_TELEGRAM_API_URL is not valid") == true
        )
        let leaked = error(["REBIND_EVENTS_SECRET": "whsec_super-secret-value!"])
        #expect(leaked?.hasPrefix("REBIND_EVENTS_SECRET is not valid") == true)
        #expect(leaked?.contains("super-secret-value") == false)
        #expect(error(["REBIND_SQLITE_SYNCHRONOUS": "off"])?.hasPrefix("REBIND_SQLITE_SYNCHRONOUS is not valid") == true)
        #expect(error(["REBIND_GROUP_WAIT_SECONDS": "-1"])?.hasPrefix("REBIND_GROUP_WAIT_SECONDS is not valid") == true)
        #expect(error(["REBIND_OUTBOX_LEASE_SECONDS": "10"])?.hasPrefix("REBIND_OUTBOX_LEASE_SECONDS is not valid") == true)
        let previous = error(["REBIND_MASTER_KEY_PREVIOUS": Data(repeating: 1, count: 32).base64EncodedString() + " c2hvcnQ="])
        #expect(previous?.hasPrefix("REBIND_MASTER_KEY_PREVIOUS is not valid") == true)
        #expect(previous?.contains("c2hvcnQ=") == false)
    }

    @Test("Keys of earlier rotations are read, and a lease of at least 30 s")
    func previousKeysAndLease() throws {
        let old = Data(repeating: 1, count: 32).base64EncodedString()
        let older = Data(repeating: 2, count: 32).base64EncodedString()
        let configuration = try RebindConfiguration.load(from: ["REBIND_MASTER_KEY_PREVIOUS": "\(old) \(older)", "REBIND_OUTBOX_LEASE_SECONDS": "45"])
        #expect(configuration.previousMasterKeys.map(\.value) == [old, older])
        #expect(configuration.outboxLease == 45)
    }

    @Test("Configured channels and wording are read")
    func channels() throws {
        let configuration = try RebindConfiguration.load(from: [
            "REBIND_TELEGRAM_BOT_TOKEN": "123:abc", "REBIND_TELEGRAM_MODE": "polling",
            "REBIND_SLACK_BOT_TOKEN": "xoxb-1", "REBIND_SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
            "REBIND_HELP_URL": "https://help.example/keys", "REBIND_PLATFORM_NAME": "Acme Bots",
            "REBIND_GROUP_WAIT_SECONDS": "2.5", "REBIND_MAX_REMINDERS": "1",
        ])
        #expect(configuration.channelsOff.isEmpty)
        #expect(configuration.telegram?.mode == .polling)
        #expect(configuration.telegram?.apiURL == "https://api.telegram.org")
        #expect(configuration.slack?.apiURL == "https://slack.com/api")
        #expect(configuration.helpURL == "https://help.example/keys")
        #expect(configuration.platformName == "Acme Bots")
        #expect(configuration.incidentPolicy.groupWait == 2.5)
        #expect(configuration.incidentPolicy.maxReminders == 1)
        #expect(!"\(configuration.telegram!.botToken)".contains("abc"))
    }

    @Test(".env values apply unless the environment sets the same variable")
    func dotEnv() throws {
        let text = """
            # comment
            export REBIND_HTTP_PORT=9090
            REBIND_PLATFORM_NAME="Acme Bots"   
            REBIND_HTTP_HOST='0.0.0.0'
            REBIND_HELP_URL=https://help.example/x # trailing comment

            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-\(UUID().uuidString).env")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let merged = try DotEnv.merged(environment: ["REBIND_HTTP_PORT": "7070"], file: file.path)
        #expect(merged["REBIND_HTTP_PORT"] == "7070")
        #expect(merged["REBIND_PLATFORM_NAME"] == "Acme Bots")
        #expect(merged["REBIND_HTTP_HOST"] == "0.0.0.0")
        #expect(merged["REBIND_HELP_URL"] == "https://help.example/x")
        #expect(throws: DotEnv.Error.self) { try DotEnv.parse("NOT A LINE") }
        #expect(try DotEnv.merged(environment: ["A": "1"], file: "/nonexistent/.env") == ["A": "1"])
    }

    @Test("The generated master key file is private and stable")
    func masterKeyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-\(UUID().uuidString).masterkey").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try MasterKeyFile.loadOrCreate(path: path)
        #expect(first.created)
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let second = try MasterKeyFile.loadOrCreate(path: path)
        #expect(!second.created)
        #expect(second.key == first.key)
        #expect(Data(base64Encoded: second.key.value)?.count == 32)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: MasterKeyFile.Error.self) { try MasterKeyFile.loadOrCreate(path: path) }
        do {
            _ = try MasterKeyFile.loadOrCreate(path: path)
        } catch {
            #expect(error.description.contains("chmod 600"))
        }
    }

    @Test("The master key file is created 0600 whatever the umask, and several starting at once agree on one key")
    func masterKeyFileCreatedPrivately() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rebind-\(UUID().uuidString).masterkey").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try MasterKeyFile.loadOrCreate(path: path).key.value } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys.count == 1)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
    }

    @Test("URLs that carry credentials must be https://, except to a loopback host; the refusal names the variable")
    func httpsRule() throws {
        let telegram = ["REBIND_TELEGRAM_BOT_TOKEN": "1:a", "REBIND_TELEGRAM_WEBHOOK_SECRET": "s-long-enough-123"]
        for (variable, base) in [
            ("REBIND_PLATFORM_URL", ["REBIND_PLATFORM_SECRET": "whsec_" + Data(repeating: 1, count: 32).base64EncodedString()]),
            ("REBIND_BINANCE_API_URL", [:]), ("REBIND_OKX_API_URL", [:]), ("REBIND_TELEGRAM_API_URL", telegram),
        ] {
            var plain = base
            plain[variable] = "http://platform.example.com/rebind"
            #expect(error(plain)?.hasPrefix("\(variable) is not valid: must be https://") == true, "\(variable)")
            for local in ["http://127.0.0.1:8080/x", "http://localhost:9/x", "http://[::1]:9/x", "https://platform.example.com/x"] {
                var allowed = base
                allowed[variable] = local
                #expect(error(allowed) == nil, "\(variable) \(local)")
            }
        }
    }

    @Test("The Telegram webhook secret must be at least 16 characters Telegram accepts")
    func telegramSecret() {
        let base = ["REBIND_TELEGRAM_BOT_TOKEN": "1:a"]
        for bad in ["short", "fifteen-chars-x", "has spaces in it ok", String(repeating: "a", count: 257), "bad/char_but_long_enough"] {
            #expect(
                error(base.merging(["REBIND_TELEGRAM_WEBHOOK_SECRET": bad]) { $1 })?.hasPrefix("REBIND_TELEGRAM_WEBHOOK_SECRET is not valid") == true,
                "\(bad)"
            )
            #expect(error(base.merging(["REBIND_TELEGRAM_WEBHOOK_SECRET": bad]) { $1 })?.contains(bad) == false)
        }
        #expect(error(base.merging(["REBIND_TELEGRAM_WEBHOOK_SECRET": "sixteen-chars-ok"]) { $1 }) == nil)
    }

    @Test("REBIND_TELEGRAM_RATE above 30 needs REBIND_TELEGRAM_PAID_BROADCAST=true, and stays at most 1,000")
    func paidBroadcast() throws {
        let free = try #require(error(["REBIND_TELEGRAM_RATE": "31"]))
        #expect(free.hasPrefix("REBIND_TELEGRAM_RATE is not valid"))
        #expect(free.contains("REBIND_TELEGRAM_PAID_BROADCAST=true"))
        #expect(error(["REBIND_TELEGRAM_RATE": "30"]) == nil)
        let paid = try RebindConfiguration.load(from: ["REBIND_TELEGRAM_RATE": "1000", "REBIND_TELEGRAM_PAID_BROADCAST": "true"])
        #expect(paid.telegramPaidBroadcast && paid.telegramRate == 1000)
        #expect(error(["REBIND_TELEGRAM_RATE": "1001", "REBIND_TELEGRAM_PAID_BROADCAST": "true"])?.contains("at most 1000") == true)
        #expect(error(["REBIND_TELEGRAM_PAID_BROADCAST": "maybe"])?.hasPrefix("REBIND_TELEGRAM_PAID_BROADCAST is not valid") == true)
        #expect(try RebindConfiguration.load(from: [:]).telegramPaidBroadcast == false)
    }
}
