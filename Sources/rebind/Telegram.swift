import ArgumentParser
import Foundation
import Logging
import RebindApp
import RebindCore
import RebindHTTP
import RebindTelegram

struct Telegram: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the Telegram bot.",
        subcommands: [SetWebhook.self]
    )

    struct SetWebhook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-webhook",
            abstract: "Tell Telegram to post the bot's updates to URL.",
            discussion: """
                Calls setWebhook with REBIND_TELEGRAM_WEBHOOK_SECRET as the secret token, which Telegram then sends \
                in X-Telegram-Bot-Api-Secret-Token with every update, for message and callback_query updates; \
                pending updates are kept. URL is normally https://<public host>/v1/telegram/webhook. Telegram is \
                asked at REBIND_TELEGRAM_API_URL (default https://api.telegram.org).

                Prints Telegram's answer. Exit status: 0 the webhook is set; 1 Telegram refused it or could not be \
                reached (the reason is on standard error); 64 a usage or configuration error.
                """
        )

        @Argument(help: "The public HTTPS URL of Rebind's webhook, ending in /v1/telegram/webhook.")
        var url: String

        @Option(help: "Seconds the request to Telegram may take.")
        var timeout: Double = 15

        static let webhookPath = "/v1/telegram/webhook"

        func validate() throws {
            guard timeout.isFinite, timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                let host = components.host, !host.isEmpty
            else {
                throw ValidationError("\(url) is not a URL; give the full address, e.g. https://rebind.example.com\(Self.webhookPath)")
            }
            let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
            guard scheme == "https" || (scheme == "http" && loopback) else {
                throw ValidationError("Telegram only posts to https URLs (plain http is allowed for 127.0.0.1 and localhost, for testing)")
            }
        }

        func run() async throws {
            let configuration = try loadConfiguration()
            guard let telegram = configuration.telegram else {
                throw ValidationError("REBIND_TELEGRAM_BOT_TOKEN is not set: give the bot token from BotFather")
            }
            guard let secret = telegram.webhookSecret else {
                throw ValidationError(
                    "REBIND_TELEGRAM_WEBHOOK_SECRET is not set: Telegram's calls to the webhook are checked against it"
                )
            }
            guard TelegramSetWebhook.isValidSecretToken(secret.value) else {
                throw ValidationError("REBIND_TELEGRAM_WEBHOOK_SECRET must be 1–256 of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
            }
            if URLComponents(string: url)?.path.hasSuffix(Self.webhookPath) != true {
                StandardStreams.error("rebind: warning: \(url) does not end in \(Self.webhookPath), where Rebind receives Telegram's updates")
            }

            var logger = Logger(label: "rebind.telegram", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = configuration.logLevel
            let client: TelegramClient
            do {
                let transport = try CurlTransport(configuration: .init(connectTimeout: min(timeout, 10), timeout: timeout), logger: logger)
                client = try TelegramClient(
                    baseURL: telegram.apiURL,
                    token: telegram.botToken,
                    transport: transport,
                    timeout: timeout,
                    logger: logger
                )
            } catch TelegramClient.Error.invalidToken {
                throw ValidationError("REBIND_TELEGRAM_BOT_TOKEN is malformed: expected the token from BotFather, like 123456789:AAE…")
            }

            do throws(TelegramClient.Error) {
                let note = try await client.setWebhook(TelegramSetWebhook(url: url, secretToken: secret))
                print("Telegram: \(note ?? "webhook set") (\(url))")
            } catch {
                StandardStreams.error("rebind: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
