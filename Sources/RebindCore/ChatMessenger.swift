import Foundation

/// Sends, edits and deletes chat messages on one platform. Adapters: `TelegramMessenger`,
/// later `SlackMessenger`. Throws `DeliveryError`, which says whether and when to retry.
public protocol ChatMessenger: Sendable {
    var channel: Channel { get }

    /// Sends a message and returns its id on the platform, for later edits.
    func send(_ message: OutgoingMessage, to chat: ChatAddress) async throws(DeliveryError) -> String
    /// Replaces a sent message's text and buttons. "Not modified" counts as success.
    func edit(messageID: String, in chat: ChatAddress, to message: OutgoingMessage) async throws(DeliveryError)
    /// Deletes a message (the user's, when it held a secret). Throws `.permanent` when the
    /// platform refuses, so the user can be told to delete it themselves.
    func delete(messageID: String, in chat: ChatAddress) async throws(DeliveryError)
    /// Answers a tap on a button (Telegram's callback query), so the user's app stops waiting,
    /// with a short plain-text note when there is one. Platforms without the notion do nothing.
    func acknowledge(interactionID: String, text: String?) async throws(DeliveryError)
    /// Whether the platform takes the bot's credentials again (Telegram `getMe`, Slack
    /// `auth.test` with the workspace's token), for a paused channel or workspace; throws while
    /// it does not. `workspace` is the Slack team id; nil for Telegram.
    func probe(workspace: String?) async throws(DeliveryError)
}

extension ChatMessenger {
    public func acknowledge(interactionID: String, text: String?) async throws(DeliveryError) {}
    public func probe(workspace: String?) async throws(DeliveryError) {}
}

/// A message to send: marked-up text and, optionally, rows of buttons.
public struct OutgoingMessage: Sendable, Equatable, Codable {
    public enum Format: String, Sendable, Codable {
        /// Telegram's HTML parse mode.
        case html
        /// Slack's mrkdwn.
        case mrkdwn
        case plain
    }

    public enum Button: Sendable, Equatable, Codable {
        /// Sends `data` back to Rebind when tapped (Telegram `callback_data`: at most 64 bytes).
        case callback(title: String, data: String)
        /// Opens a link.
        case url(title: String, url: String)
        /// Opens a web page inside the chat app (a Telegram Mini App, `web_app`). Channels
        /// without them leave the button out.
        case webApp(title: String, url: String)
    }

    public var text: String
    public var format: Format
    public var buttons: [[Button]]

    public init(text: String, format: Format, buttons: [[Button]] = []) {
        self.text = text
        self.format = format
        self.buttons = buttons
    }
}

/// Why a chat platform did not take a message, and what to do about it.
public enum DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Too fast: wait this long before sending to that chat again (Telegram 429 `retry_after`,
    /// Slack `Retry-After`).
    case rateLimited(retryAfter: TimeInterval)
    /// The user blocked the bot or never started it: stop sending to that chat.
    case blocked(reason: String)
    /// Worth retrying with backoff: 5xx, timeouts, dropped connections.
    case transient(reason: String)
    /// Not worth retrying: the platform refused this request for good.
    case permanent(reason: String)
    /// The platform refuses the bot itself (a revoked or wrong token): no message can go
    /// until it is fixed. The channel pauses, keeps its messages and probes until it works.
    case channelRefused(reason: String)

    public var description: String {
        switch self {
        case .rateLimited(let seconds): "rate limited; retry after \(seconds) s"
        case .blocked(let reason): "chat unreachable: \(reason)"
        case .transient(let reason): "temporary failure: \(reason)"
        case .permanent(let reason): "refused: \(reason)"
        case .channelRefused(let reason): "the bot's credentials are refused: \(reason)"
        }
    }
}

/// Asks a chat platform which language a user's app is in, for platforms that do not say so
/// with each message (Slack's `users.info`; Telegram sends `language_code` with every update).
public protocol LanguageLookup: Sendable {
    /// The user's language tag, or nil when the platform does not say (or may not be asked).
    func reportedLanguage(of chat: ChatAddress) async -> String?
}
