import Foundation
import Logging
import RebindCore
import RebindRendering
import RebindTelegram
import ServiceLifecycle

/// Sets the bot's command menu (`setMyCommands`) at start-up, in every language Rebind speaks:
/// users whose Telegram app is in Chinese see the commands described in Chinese. The default
/// locale's menu is also the one for every other language. Tried a few times if Telegram is
/// unreachable; a failure costs only the menu's descriptions, so it is logged, not fatal.
struct TelegramCommandMenu: Service {
    let client: TelegramClient
    let replies: ChatReplyRenderer
    let matcher: LocaleMatcher
    let logger: Logger
    var attempts = 5
    var firstDelay: Duration = .seconds(1)

    /// One menu per language code, and the default (no code).
    func menus() -> [TelegramSetMyCommands] {
        func commands(_ locale: String) -> [TelegramBotCommand] {
            ChatCommand.menu.compactMap { name in
                ChatLabel.menu(name).map { TelegramBotCommand(command: name, description: replies.label($0, channel: .telegram, locale: locale)) }
            }
        }
        var menus = [TelegramSetMyCommands(commands: commands(matcher.defaultLocale))]
        // Telegram names languages by two letters: zh-Hans is "zh", the locale `zh` matches.
        let codes = Set(replies.locales.compactMap { $0.split(separator: "-").first.map { $0.lowercased() } }).filter { $0.count == 2 }
        for code in codes.sorted() {
            menus.append(TelegramSetMyCommands(commands: commands(matcher.match(code)), languageCode: code))
        }
        return menus
    }

    func run() async throws {
        var delay = firstDelay
        for attempt in 1...attempts {
            do {
                for menu in menus() { try await client.setMyCommands(menu) }
                logger.info("Telegram command menu set", metadata: ["telegram.menus": "\(menus().count)"])
                break
            } catch {
                logger.notice("Telegram command menu not set", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                guard attempt < attempts, !Task.isCancelledOrShuttingDown else { break }
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        // Done: wait for the shutdown, since a service that returns would end the application.
        try? await gracefulShutdown()
    }
}
