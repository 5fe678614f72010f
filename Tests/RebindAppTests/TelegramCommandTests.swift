import Foundation
import RebindSimulator
import Testing

/// `rebind telegram set-webhook` run as the real executable against the fake Bot API.
@Suite("rebind telegram set-webhook", .enabled(if: FileManager.default.isExecutableFile(atPath: RebindCommand.executable.path)))
struct TelegramCommandTests {
    static let secret = "hook_Secret-42_for-tests"
    static let webhookURL = "https://rebind.example.com/v1/telegram/webhook"

    func environment(_ fake: FakeTelegramServer) -> [String: String] {
        [
            "REBIND_TELEGRAM_BOT_TOKEN": fake.token.value,
            "REBIND_TELEGRAM_WEBHOOK_SECRET": Self.secret,
            "REBIND_TELEGRAM_API_URL": fake.baseURL,
        ]
    }

    @Test("sets the webhook with the secret token and prints Telegram's answer, never the bot token")
    func setsWebhook() async throws {
        try await FakeTelegramServer.withServer { fake in
            let result = try await RebindCommand.run(["telegram", "set-webhook", Self.webhookURL], environment: environment(fake))
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.output.contains("Webhook was set"))
            #expect(fake.webhook == .init(url: Self.webhookURL, secretToken: Self.secret, allowedUpdates: ["message", "callback_query"]))
            let calls = fake.calls(method: "setWebhook")
            #expect(calls.count == 1)
            let call = try #require(calls.first)
            #expect(call["secret_token"] == .string(Self.secret))
            #expect(call["drop_pending_updates"] == .bool(false))
            #expect(!result.output.contains(fake.token.value))
            #expect(!result.errors.contains(fake.token.value))
            #expect(!result.errors.contains("warning"))
        }
    }

    @Test("without a bot token it refuses, naming REBIND_TELEGRAM_BOT_TOKEN")
    func missingToken() async throws {
        let result = try await RebindCommand.run(
            ["telegram", "set-webhook", Self.webhookURL],
            environment: ["REBIND_TELEGRAM_WEBHOOK_SECRET": Self.secret]
        )
        #expect(result.status != 0)
        #expect(result.errors.contains("REBIND_TELEGRAM_BOT_TOKEN"))
    }

    @Test("without a webhook secret it refuses, naming REBIND_TELEGRAM_WEBHOOK_SECRET, in either mode")
    func missingSecret() async throws {
        try await FakeTelegramServer.withServer { fake in
            for mode in ["webhook", "polling"] {
                var environment = environment(fake)
                environment["REBIND_TELEGRAM_WEBHOOK_SECRET"] = nil
                environment["REBIND_TELEGRAM_MODE"] = mode
                let result = try await RebindCommand.run(["telegram", "set-webhook", Self.webhookURL], environment: environment)
                #expect(result.status != 0)
                #expect(result.errors.contains("REBIND_TELEGRAM_WEBHOOK_SECRET"), "\(mode): \(result.errors)")
            }
            #expect(fake.calls().isEmpty)
        }
    }

    @Test("a plain-http URL is refused unless it is loopback")
    func httpRefused() async throws {
        try await FakeTelegramServer.withServer { fake in
            let refused = try await RebindCommand.run(
                ["telegram", "set-webhook", "http://rebind.example.com/v1/telegram/webhook"],
                environment: environment(fake)
            )
            #expect(refused.status != 0)
            #expect(refused.errors.contains("https"))
            #expect(fake.calls().isEmpty)

            let local = try await RebindCommand.run(
                ["telegram", "set-webhook", "http://127.0.0.1:8080/v1/telegram/webhook"],
                environment: environment(fake)
            )
            #expect(local.status == 0, "\(local.errors)")
            #expect(fake.webhook?.url == "http://127.0.0.1:8080/v1/telegram/webhook")
        }
    }

    @Test("a URL off the webhook path gets a warning but is set")
    func offPathWarning() async throws {
        try await FakeTelegramServer.withServer { fake in
            let result = try await RebindCommand.run(["telegram", "set-webhook", "https://rebind.example.com/hook"], environment: environment(fake))
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.errors.contains("warning"))
            #expect(result.errors.contains("/v1/telegram/webhook"))
            #expect(fake.webhook?.url == "https://rebind.example.com/hook")
        }
    }

    @Test("Telegram's refusal exits 1 with its description on standard error")
    func telegramRefuses() async throws {
        try await FakeTelegramServer.withServer { fake in
            fake.inject(.refuse(errorCode: 400, description: "Bad Request: bad webhook: Failed to resolve host: Name or service not known"))
            let result = try await RebindCommand.run(["telegram", "set-webhook", Self.webhookURL], environment: environment(fake))
            #expect(result.status == 1)
            #expect(result.errors.contains("Failed to resolve host"))
            #expect(result.output.isEmpty)
            #expect(!result.errors.contains(fake.token.value))
        }
    }
}
