import RebindTelegram
import Synchronization

/// The bot's @username for `t.me` links: configured, or asked of Telegram once and kept.
final class BotUsername: Sendable {
    private let configured: String?
    private let client: TelegramClient
    private let cached = Mutex<String?>(nil)

    init(configured: String?, client: TelegramClient) {
        self.configured = configured
        self.client = client
    }

    func value() async -> String? {
        if let configured { return configured }
        if let known = cached.withLock({ $0 }) { return known }
        guard let username = try? await client.getMe().username else { return nil }
        cached.withLock { $0 = username }
        return username
    }
}
