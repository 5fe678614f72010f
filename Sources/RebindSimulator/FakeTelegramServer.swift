import Foundation
import RebindCore
import RebindTelegram

/// The Telegram Bot API on loopback: `POST /bot<token>/<method>` in Telegram's wire format,
/// for the methods Rebind uses (`sendMessage`, `editMessageText`, `deleteMessage`,
/// `answerCallbackQuery`, `setWebhook`, `deleteWebhook`, `getWebhookInfo`, `getUpdates`,
/// `getMe`).
///
/// It behaves as Telegram does where Rebind depends on it: a wrong token gets 401; each chat
/// keeps its visible messages (the bot's with their markup, buttons and edit history; deleted
/// ones move to `deletedMessages`); HTML is parsed and bad markup refused; `sendMessage` and
/// `editMessageText` are held to per-chat and global flood limits and answered 429 with
/// `retry_after` past them; an edit that changes nothing gets 400 "message is not modified";
/// `getUpdates` long-polls without busy waiting, honours `offset`, answers a poll that a newer
/// one replaces with 409, and refuses with 409 while a webhook is set.
///
/// Time is the fake's clock: real (monotonic) by default, or a `ManualClock` the test moves.
/// The user's side is played by the test: `userSends` and `userTaps` put messages and button
/// taps into chats and return their updates (also queued for `getUpdates`). Faults make calls
/// fail as Telegram and networks do: 429, 5xx, 403, hangs, dropped connections.
public final class FakeTelegramServer: Sendable {
    /// A token in BotFather's shape; the bot's id is its number part.
    public static let defaultToken = Secret("123456789:AAHfakeTokenForRebindTests_0123456789x")
    public static let botUsername = "rebind_test_bot"

    public let token: Secret
    private let bot: FakeTelegramBot
    private let server: LoopbackHTTPServer

    private init(token: Secret, bot: FakeTelegramBot, server: LoopbackHTTPServer) {
        self.token = token
        self.bot = bot
        self.server = server
    }

    /// Starts the server; call `shutdown()` when done, or use `withServer`. `clock` drives the
    /// flood limits, long polls' `timeout` and calls' `receivedAt`; the real monotonic clock
    /// when nil.
    public static func start(token: Secret = defaultToken, limits: Limits = Limits(), clock: ManualClock? = nil) async throws -> FakeTelegramServer {
        let bot = FakeTelegramBot(token: token.value, limits: limits, clock: clock)
        let server = try await LoopbackHTTPServer.start { request in await bot.reply(to: request) }
        return FakeTelegramServer(token: token, bot: bot, server: server)
    }

    /// Runs `body` with a started server and shuts it down afterwards.
    public static func withServer<Result: Sendable>(
        token: Secret = defaultToken,
        limits: Limits = Limits(),
        clock: ManualClock? = nil,
        _ body: (FakeTelegramServer) async throws -> Result
    ) async throws -> Result {
        try await withShutdown(try await start(token: token, limits: limits, clock: clock), shutdown: { try await $0.shutdown() }, body)
    }

    /// `http://127.0.0.1:PORT`, for `REBIND_TELEGRAM_API_URL`.
    public var baseURL: String { server.baseURL }

    /// The bot as `getMe` describes it.
    public var botUser: TelegramUser { bot.user }

    /// Every HTTP request received so far, in order, exactly as sent.
    public func requests() -> [RecordedRequest] { server.requests() }

    public func shutdown() async throws {
        try await server.shutdown()
    }

    // MARK: Switches

    public var limits: Limits { bot.read { $0.limits } }

    /// Changes the flood limits from now on.
    public func setLimits(_ limits: Limits) {
        bot.change { $0.limits = limits }
    }

    /// Answers calls with `fault` instead of carrying them out: the next `times` calls (every
    /// call until `clearFaults()` when nil) of `method` (any when nil) in chat `chatID` (any
    /// when nil). Faults apply in the order injected; a wrong token still gets 401 first.
    public func inject(_ fault: Fault, times: Int? = 1, method: String? = nil, chatID: Int64? = nil) {
        bot.change { $0.faults.append(FaultRule(fault: fault, remaining: times, method: method?.lowercased(), chatID: chatID)) }
    }

    public func clearFaults() {
        bot.change { $0.faults.removeAll() }
    }

    /// `deleteMessage` answers 400 "message can't be deleted" from now on (in one chat, or all).
    public func refuseDeletions(inChat chatID: Int64? = nil) {
        inject(.messageCannotBeDeleted, times: nil, method: "deleteMessage", chatID: chatID)
    }

    // MARK: The user's side

    /// The user writes `text` in the private chat `chatID` (the user's id is the chat id). The
    /// message gets the chat's next message id; its update is returned, and queued for
    /// `getUpdates` unless a webhook is set (then the test delivers it to the webhook).
    @discardableResult
    public func userSends(chatID: Int64, text: String) -> TelegramUpdate {
        bot.userSends(chatID: chatID, text: text)
    }

    /// The user sends a photo or a document with `caption` (or none): a message without
    /// `text`, queued as `userSends` does. The chat shows the caption as the message's text.
    @discardableResult
    public func userSendsFile(chatID: Int64, caption: String?) -> TelegramUpdate {
        bot.userSendsFile(chatID: chatID, caption: caption)
    }

    /// The user taps the button carrying `data` under message `messageID`: returns the callback
    /// query's update (queued as `userSends` does). Its id is open until answered.
    @discardableResult
    public func userTaps(chatID: Int64, messageID: Int64, data: String) -> TelegramUpdate {
        bot.userTaps(chatID: chatID, messageID: messageID, data: data)
    }

    // MARK: Inspection

    /// The messages visible in a chat, oldest first: the bot's and the user's, deleted ones gone.
    public func messages(inChat chatID: Int64) -> [ChatMessage] {
        bot.read { $0.chats[chatID]?.messages ?? [] }
    }

    /// How many messages were sent with `allow_paid_broadcast` (each charged in Stars).
    public var paidMessages: Int {
        bot.read { $0.paidMessages }
    }

    /// Messages deleted from a chat, in order of deletion.
    public func deletedMessages(inChat chatID: Int64) -> [ChatMessage] {
        bot.read { $0.chats[chatID]?.deleted ?? [] }
    }

    /// The chats that have had messages, in ascending order.
    public func chatIDs() -> [Int64] {
        bot.read { state in state.chats.filter { !$0.value.messages.isEmpty || !$0.value.deleted.isEmpty }.keys.sorted() }
    }

    /// Every Bot API call so far, in order of arrival.
    public func calls() -> [Call] {
        bot.read { $0.calls }
    }

    /// The calls of one method (named as in the URL, compared case-insensitively), in order.
    public func calls(method: String) -> [Call] {
        let name = method.lowercased()
        return bot.read { state in state.calls.filter { $0.method.lowercased() == name } }
    }

    /// How many calls were answered 429.
    public var count429s: Int {
        bot.read { state in state.calls.count(where: { $0.status == 429 }) }
    }

    /// The webhook, while one is set.
    public var webhook: Webhook? { bot.read { $0.webhook } }

    /// Updates not yet confirmed through `getUpdates`' `offset`.
    public func pendingUpdates() -> [TelegramUpdate] {
        bot.read { $0.queue }
    }

    /// `answerCallbackQuery` calls that answered an open query, in order.
    public func callbackAnswers() -> [CallbackAnswer] {
        bot.read { $0.callbackAnswers }
    }

    /// The bot's command menu for users whose app is in `languageCode` ("" for everyone
    /// else), as `setMyCommands` set it; nil when none was set.
    public func commands(languageCode: String = "") -> [(command: String, description: String)]? {
        bot.read { $0.commands[languageCode] }
    }

    /// Callback queries from `userTaps` not answered yet.
    public func unansweredCallbackQueries() -> Set<String> {
        bot.read { $0.openCallbackQueries }
    }

    /// Waits until at least `count` calls of `method` (of any method when nil) have been
    /// answered, or `timeout` passes (in real time, whatever the fake's clock); returns those
    /// calls either way. Wakes on each call, without polling.
    /// The calls that put a message in a chat or change one (`sendMessage`, `editMessageText`),
    /// without the bot's set-up calls (`setMyCommands`, `getMe`).
    public func messageCalls() -> [Call] {
        bot.read { state in state.calls.filter { Self.messageMethods.contains($0.method.lowercased()) } }
    }

    static let messageMethods: Set<String> = ["sendmessage", "editmessagetext"]

    /// Waits until `count` message calls (see `messageCalls`) have been answered.
    @discardableResult
    public func waitForMessageCalls(count: Int, timeout: Duration = .seconds(10)) async -> [Call] {
        _ = await bot.wait(until: .now + timeout) { state in
            Self.messageMethods.reduce(0) { $0 + (state.settledCalls[$1] ?? 0) } >= count
        }
        return messageCalls()
    }

    public func waitForCalls(method: String? = nil, count: Int, timeout: Duration = .seconds(10)) async -> [Call] {
        let name = method?.lowercased()
        _ = await bot.wait(until: .now + timeout) { state in
            (name.map { state.settledCalls[$0] ?? 0 } ?? state.settledTotal) >= count
        }
        return bot.read { state in
            state.calls.filter { call in (name == nil || call.method.lowercased() == name) && call.outcome != .pending }
        }
    }

    /// Waits until a `getUpdates` call is waiting for updates, or `timeout` passes (in real
    /// time); returns whether one is. Wakes on each change, without polling.
    public func waitForWaitingPoll(timeout: Duration = .seconds(10)) async -> Bool {
        await bot.wait(until: .now + timeout) { $0.activePoll != nil }
    }
}
