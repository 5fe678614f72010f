import Foundation
import Logging
import RebindCore

/// The Telegram Bot API over an `HTTPTransport`: every method is `POST
/// <baseURL>/bot<token>/<method>` with a JSON body, answered by the `{"ok":…}` envelope.
///
/// The bot token travels in the URL path, as Telegram requires, so the URL is never logged
/// or put in an error; every error text is also scrubbed of the token in case a transport
/// quotes it.
public struct TelegramClient: Sendable {
    public static let defaultBaseURL = "https://api.telegram.org"

    /// `https://api.telegram.org`, or a local server (`REBIND_TELEGRAM_API_URL`); no trailing slash.
    public let baseURL: String
    /// Seconds each call may take; `getUpdates` gets its poll timeout on top.
    public let timeout: TimeInterval
    private let token: Secret
    private let transport: any HTTPTransport
    private let logger: Logger

    /// Throws `.invalidToken` when the token has characters a URL path can't carry as they are.
    public init(
        baseURL: String = TelegramClient.defaultBaseURL,
        token: Secret,
        transport: any HTTPTransport,
        timeout: TimeInterval = 10,
        logger: Logger = Logger(label: "rebind.telegram")
    ) throws(Error) {
        guard Self.isValidToken(token.value) else { throw .invalidToken }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.token = token
        self.transport = transport
        self.timeout = timeout.isFinite && timeout > 0 ? timeout : 10
        self.logger = logger
    }

    /// BotFather's tokens look like `123456789:AAE…`; anything outside these characters would
    /// change the URL's meaning.
    static func isValidToken(_ token: String) -> Bool {
        !token.isEmpty
            && token.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }

    // MARK: Methods

    /// Sends a message; returns it as Telegram stored it (its `messageID` is what edits need).
    public func sendMessage(_ parameters: TelegramSendMessage) async throws(Error) -> TelegramMessage {
        if let problem = parameters.replyMarkup?.problem { throw .invalidRequest(method: TelegramSendMessage.name, reason: problem) }
        return try await call(parameters).result
    }

    /// Edits a message's text and buttons; returns the edited message, or nil when Telegram
    /// said it already looks like that ("message is not modified"), which counts as success.
    @discardableResult
    public func editMessageText(_ parameters: TelegramEditMessageText) async throws(Error) -> TelegramMessage? {
        if let problem = parameters.replyMarkup?.problem { throw .invalidRequest(method: TelegramEditMessageText.name, reason: problem) }
        do throws(Error) {
            return try await call(parameters).result
        } catch  where error.isMessageNotModified {
            logger.debug("Telegram message already up to date", metadata: ["telegram.method": "\(TelegramEditMessageText.name)"])
            return nil
        }
    }

    public func deleteMessage(chatID: Int64, messageID: Int64) async throws(Error) {
        _ = try await call(TelegramDeleteMessage(chatID: chatID, messageID: messageID))
    }

    public func answerCallbackQuery(_ parameters: TelegramAnswerCallbackQuery) async throws(Error) {
        _ = try await call(parameters)
    }

    /// Sets the webhook; returns Telegram's note on it ("Webhook was set").
    @discardableResult
    public func setWebhook(_ parameters: TelegramSetWebhook) async throws(Error) -> String? {
        guard TelegramSetWebhook.isValidSecretToken(parameters.secretToken.value) else {
            throw .invalidRequest(method: TelegramSetWebhook.name, reason: "the secret token must be 1–256 of A-Z, a-z, 0-9, _ and -")
        }
        return try await call(parameters).description
    }

    /// Removes the webhook; returns Telegram's note on it ("Webhook was deleted").
    @discardableResult
    public func deleteWebhook(dropPendingUpdates: Bool = false) async throws(Error) -> String? {
        try await call(TelegramDeleteWebhook(dropPendingUpdates: dropPendingUpdates)).description
    }

    /// Long polling: waits up to `parameters.timeout` seconds for updates. The HTTP request
    /// is allowed that long plus the client's own timeout, so a quiet poll is not a failure.
    public func getUpdates(_ parameters: TelegramGetUpdates) async throws(Error) -> [TelegramUpdate] {
        try await call(parameters, timeout: TimeInterval(max(parameters.timeout, 0)) + timeout).result
    }

    /// Sets the bot's command menu for one language (or the default, for nil).
    public func setMyCommands(_ parameters: TelegramSetMyCommands) async throws(Error) {
        _ = try await call(parameters)
    }

    public func getMe() async throws(Error) -> TelegramUser {
        try await call(TelegramGetMe()).result
    }

    // MARK: Any method

    /// A successful call's result, and Telegram's note on it if any.
    public struct Answer<Result: Sendable>: Sendable {
        public var result: Result
        public var description: String?
    }

    /// Calls `Method` with these parameters; throws what went wrong, Telegram's refusals included.
    public func call<Method: TelegramMethod>(_ parameters: Method, timeout: TimeInterval? = nil) async throws(Error) -> Answer<Method.Result> {
        let method = Method.name
        let body: Data
        do {
            body = try Self.encoder.encode(parameters)
        } catch {
            throw .invalidRequest(method: method, reason: "the parameters did not encode: \(redacted(String(describing: error)))")
        }
        let request = HTTPRequest(
            method: "POST",
            url: "\(baseURL)/bot\(token.value)/\(method)",
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: body,
            timeout: timeout ?? self.timeout
        )

        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            logger.debug("Telegram not reached", metadata: ["telegram.method": "\(method)", "http.error": "\(redacted(error.description))"])
            throw .unreachable(method: method, kind: error.kind, reason: redacted(error.description))
        } catch is CancellationError {
            throw .cancelled(method: method)
        } catch {
            throw .unreachable(method: method, kind: nil, reason: redacted(String(describing: error)))
        }

        let envelope: TelegramResponse<Method.Result>
        do {
            envelope = try Self.decoder.decode(TelegramResponse<Method.Result>.self, from: response.body)
        } catch {
            logger.debug("Telegram answer unreadable", metadata: ["telegram.method": "\(method)", "http.status": "\(response.status)"])
            throw .unreadableAnswer(method: method, status: response.status, reason: Self.unreadable(response))
        }
        guard envelope.ok else {
            let code = envelope.errorCode ?? response.status
            let description = redacted(envelope.description ?? "HTTP \(response.status)")
            logger.debug(
                "Telegram refused a call",
                metadata: [
                    "telegram.method": "\(method)", "http.status": "\(response.status)",
                    "telegram.error_code": "\(code)", "telegram.description": "\(description)",
                ]
            )
            throw .refused(method: method, errorCode: code, description: description, retryAfter: envelope.parameters?.retryAfter)
        }
        guard let result = envelope.result else {
            throw .unreadableAnswer(method: method, status: response.status, reason: "\"ok\":true without a result")
        }
        logger.trace("Telegram call answered", metadata: ["telegram.method": "\(method)", "http.status": "\(response.status)"])
        return Answer(result: result, description: envelope.description.map(redacted))
    }

    private func redacted(_ text: String) -> String {
        text.replacing(token.value, with: "<redacted>")
    }

    /// A short reason for an answer that is not the Bot API's JSON; never quotes the body.
    static func unreadable(_ response: HTTPResponse) -> String {
        let type = response.header("Content-Type") ?? "no content type"
        return "HTTP \(response.status), not the Bot API's JSON (\(response.body.count) bytes, \(type))"
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()
}
