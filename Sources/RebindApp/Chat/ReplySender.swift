import Foundation
import Logging
import RebindCore
import RebindRendering

/// Says things in chats: renders a `ChatReply` from the templates in the chat's language and
/// sends it, deletes messages that held a secret, acknowledges taps. Replies go out at once
/// (the user is waiting) through the channel's pacer, so they keep the global rate and wait
/// out a 429 hold on the chat like a hiccup.
struct ReplySender: Sendable {
    let messengers: [Channel: any ChatMessenger]
    let replies: ChatReplyRenderer
    let store: any LinkStore & LanguageStore
    let matcher: LocaleMatcher
    /// Shared with the outbox, so replies and notices together keep the platforms' limits.
    let pacer: SharedPacer
    let logger: Logger
    /// The Mini App key form, offered beside key-update buttons when the public URL is set.
    var keyForm: KeyFormLink?
    /// Channels paused because the platform refuses the bot's token.
    var health: ChannelHealth?
    /// The clock a pause is timed by (the service's).
    var now: @Sendable () -> Date = { Date() }

    /// The waits between tries of deleting a message that may hold a secret.
    var deleteRetryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(5)]

    /// The longest a reply waits for a chat held by a 429.
    static let longestReplyWait: Duration = .seconds(30)

    /// The chat's language (DESIGN §4): its user's choice, their events' locale, what their
    /// apps report; the default when the store cannot say.
    func locale(for chat: ChatAddress) async -> String {
        do {
            let userID = try await store.userID(linkedTo: chat)
            return try await store.languagePreferences(userID: userID, chat: chat).locale(matcher)
        } catch {
            logger.notice("Chat language not read; using the default", metadata: ["chat": "\(chat)", "error": "\(error)"])
            return matcher.defaultLocale
        }
    }

    /// Renders a reply for the chat, in its language. `keyFormAccountID` adds the key form's
    /// button for that account (a reply that asks for a key).
    func render(_ reply: ChatReply, for chat: ChatAddress, exchange: String? = nil, keyFormAccountID: String? = nil) async throws -> OutgoingMessage {
        let locale = await locale(for: chat)
        let rendered = try replies.render(reply, channel: chat.channel, locale: locale, exchange: exchange)
        let secure = { (accountID: String?) -> OutgoingMessage.Button? in
            guard let accountID, let keyForm else { return nil }
            return keyForm.button(
                title: replies.label(.enterKeySecurelyButton, channel: chat.channel, locale: locale),
                accountID: accountID,
                in: chat
            )
        }
        var buttons: [[OutgoingMessage.Button]] = reply.buttons.map { row in
            row.flatMap { button -> [OutgoingMessage.Button] in
                let callback = OutgoingMessage.Button.callback(
                    title: replies.label(button.label, channel: chat.channel, locale: locale, account: button.account),
                    data: button.action.encoded
                )
                return [callback] + [secure(button.keyFormAccountID)].compactMap { $0 }
            }
        }
        if let button = secure(keyFormAccountID) { buttons.append([button]) }
        return OutgoingMessage(text: rendered.text, format: rendered.format == .html ? .html : .mrkdwn, buttons: buttons)
    }

    /// A label in the chat's language.
    func label(_ label: ChatLabel, for chat: ChatAddress) async -> String {
        replies.label(label, channel: chat.channel, locale: await locale(for: chat))
    }

    func say(_ reply: ChatReply, to chat: ChatAddress, exchange: String? = nil, keyFormAccountID: String? = nil) async throws {
        try await send(try await render(reply, for: chat, exchange: exchange, keyFormAccountID: keyFormAccountID), to: chat)
    }

    /// Sends at once, retrying a 429 (after its hold) and transient failures a few times.
    /// A chat that refuses for good (blocked, channel off) is logged and left.
    func send(_ message: OutgoingMessage, to chat: ChatAddress) async throws {
        guard let messenger = messengers[chat.channel] else {
            logger.error("Reply not delivered: its chat channel is off", metadata: ["chat": "\(chat)"])
            return
        }
        if health?.isPaused(chat) == true {
            logger.notice("Reply not delivered: the channel is paused (its bot token is refused)", metadata: ["chat": "\(chat)"])
            return
        }
        for attempt in 1...4 {
            while case .chatBusyUntil(let until) = pacer.reserveReply(chat, now: .now) {
                guard until - .now <= Self.longestReplyWait else {
                    logger.notice("Reply not delivered: the chat is held by the platform's rate limit", metadata: ["chat": "\(chat)"])
                    return
                }
                try await Task.sleep(until: until, clock: .continuous)
            }
            do {
                _ = try await messenger.send(message, to: chat)
                pacer.sent(chat, at: .now)
                return
            } catch {
                switch error {
                case .rateLimited(let seconds):
                    pacer.hold(chat, until: .now + .seconds(min(max(seconds, 0.05), 60)))
                case .transient:
                    try await Task.sleep(for: .seconds(0.25 * Double(attempt)))
                case .blocked, .permanent:
                    logger.notice("Reply not delivered", metadata: ["chat": "\(chat)", "error": "\(error)"])
                    return
                case .channelRefused(let reason):
                    if health?.pause(chat, reason: reason, now: now()) == true {
                        logger.critical(
                            "Chat channel paused: the platform refuses the bot's token",
                            metadata: ["channel": "\(chat.channel.rawValue)", "error": "\(error)"]
                        )
                    }
                    return
                }
                if attempt == 4 {
                    logger.error("Reply not delivered after retries", metadata: ["chat": "\(chat)", "error": "\(error)"])
                }
            }
        }
    }

    /// Deletes a user's message that held (or may have held) a secret. A failure worth
    /// retrying (5xx, a timeout, a 429) is tried again after each of `deleteRetryDelays`; when
    /// the platform refuses for good, or the tries run out, the user is asked to delete it.
    func deleteSecret(_ messageID: String, in chat: ChatAddress) async throws {
        guard let messenger = messengers[chat.channel] else { return }
        var delays = deleteRetryDelays[...]
        while true {
            do {
                try await messenger.delete(messageID: messageID, in: chat)
                return
            } catch {
                let retry: Duration?
                switch error {
                case .rateLimited(let seconds): retry = delays.popFirst().map { max($0, .seconds(min(seconds, 30))) }
                case .transient: retry = delays.popFirst()
                case .blocked, .permanent, .channelRefused: retry = nil
                }
                guard let retry else {
                    logger.notice("A message that may hold a secret was not deleted", metadata: ["chat": "\(chat)", "error": "\(error)"])
                    try await say(.deleteFailed, to: chat)
                    return
                }
                logger.info("Deleting a message failed; trying again", metadata: ["chat": "\(chat)", "error": "\(error)"])
                try await Task.sleep(for: retry)
            }
        }
    }

    /// Stops the user's client spinning after a tap (Telegram's callback query), with a short
    /// note when there is one. Done before any slow work.
    func acknowledge(_ interactionID: String, in chat: ChatAddress, with reply: ChatReply?) async {
        guard let messenger = messengers[chat.channel] else { return }
        do {
            var text: String?
            if let reply { text = try await render(reply, for: chat).text }
            try await messenger.acknowledge(interactionID: interactionID, text: text)
        } catch {
            logger.debug("Tap not acknowledged", metadata: ["chat": "\(chat)", "error": "\(error)"])
        }
    }
}
