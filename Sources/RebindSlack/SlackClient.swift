import Foundation
import Logging
import RebindCore

/// The Slack Web API over an `HTTPTransport`: every method is `POST <baseURL>/<method>` with
/// a JSON body and the bot token in `Authorization: Bearer`, answered by `{"ok":…}`.
///
/// The token never goes into a URL, a log line or an error; every error text is also scrubbed
/// of it in case a transport quotes a header.
public struct SlackClient: Sendable {
    public static let defaultBaseURL = "https://slack.com/api"

    /// `https://slack.com/api`, or a local server (`REBIND_SLACK_API_URL`); no trailing slash.
    public let baseURL: String
    /// Seconds each call may take.
    public let timeout: TimeInterval
    private let token: Secret
    private let transport: any HTTPTransport
    private let logger: Logger

    /// Throws `.invalidToken` when the token has characters a header can't carry as they are.
    public init(
        baseURL: String = SlackClient.defaultBaseURL,
        token: Secret,
        transport: any HTTPTransport,
        timeout: TimeInterval = 10,
        logger: Logger = Logger(label: "rebind.slack")
    ) throws(Error) {
        guard Self.isValidToken(token.value) else { throw .invalidToken }
        self.baseURL = Self.trimmed(baseURL)
        self.token = token
        self.transport = transport
        self.timeout = Self.validTimeout(timeout)
        self.logger = logger
    }

    /// Slack's tokens (`xoxb-…`) are printable ASCII; a space or line break would let the
    /// value change the request's headers.
    static func isValidToken(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    static func trimmed(_ baseURL: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    static func validTimeout(_ timeout: TimeInterval) -> TimeInterval {
        timeout.isFinite && timeout > 0 ? timeout : 10
    }

    // MARK: Methods

    /// Who the token belongs to: the workspace and the bot user.
    public func authTest() async throws(Error) -> SlackAuthTest.Result {
        try await call(SlackAuthTest())
    }

    /// Opens (or finds) the DM with a user; returns its channel id (`D…`).
    public func openDirectMessage(user: String) async throws(Error) -> String {
        try await call(SlackConversationsOpen(user: user)).channel.id
    }

    /// Posts a message; its `ts` is what `updateMessage` needs.
    public func postMessage(_ parameters: SlackPostMessage) async throws(Error) -> SlackPostMessage.Result {
        try Self.check(parameters.blocks ?? [], method: SlackPostMessage.name)
        return try await call(parameters)
    }

    /// Replaces a message's text and blocks.
    @discardableResult
    public func updateMessage(_ parameters: SlackUpdateMessage) async throws(Error) -> SlackUpdateMessage.Result {
        try Self.check(parameters.blocks ?? [], method: SlackUpdateMessage.name)
        return try await call(parameters)
    }

    /// Posts a message only one user sees.
    @discardableResult
    public func postEphemeral(_ parameters: SlackPostEphemeral) async throws(Error) -> SlackPostEphemeral.Result {
        try Self.check(parameters.blocks ?? [], method: SlackPostEphemeral.name)
        return try await call(parameters)
    }

    /// Opens a modal with a trigger from the last 3 seconds; returns the view (its `id` for updates).
    public func openView(_ parameters: SlackViewsOpen) async throws(Error) -> SlackViewInfo {
        if let problem = parameters.view.problem { throw .invalidRequest(method: SlackViewsOpen.name, reason: problem) }
        return try await call(parameters).view
    }

    /// Replaces an open modal's content; returns the view with its new `hash`.
    @discardableResult
    public func updateView(_ parameters: SlackViewsUpdate) async throws(Error) -> SlackViewInfo {
        if let problem = parameters.view.problem { throw .invalidRequest(method: SlackViewsUpdate.name, reason: problem) }
        return try await call(parameters).view
    }

    /// Refuses blocks Slack would refuse (`invalid_blocks`), before sending them.
    static func check(_ blocks: [SlackBlock], method: String) throws(Error) {
        if blocks.count > 50 { throw .invalidRequest(method: method, reason: "a message holds at most 50 blocks") }
        if let problem = blocks.lazy.compactMap(\.problem).first { throw .invalidRequest(method: method, reason: problem) }
    }

    // MARK: Any method

    /// Calls `Method` with these arguments; throws what went wrong, Slack's refusals included.
    public func call<Method: SlackMethod>(_ parameters: Method, timeout: TimeInterval? = nil) async throws(Error) -> Method.Result {
        let method = Method.name
        let body: Data
        do {
            body = try parameters.formFields.map(Self.form) ?? Self.encoder.encode(parameters)
        } catch {
            throw .invalidRequest(method: method, reason: "the arguments did not encode: \(redacted(String(describing: error)))")
        }
        let contentType = parameters.formFields == nil ? "application/json; charset=utf-8" : "application/x-www-form-urlencoded"
        let request = HTTPRequest(
            method: "POST",
            url: "\(baseURL)/\(method)",
            headers: [
                ("Authorization", "Bearer \(token.value)"), ("Content-Type", contentType),
                ("Accept", "application/json"),
            ],
            body: body,
            timeout: timeout ?? self.timeout
        )
        return try await Self.exchange(method: method, request: request, transport: transport, logger: logger, redact: redacted)
    }

    /// Form fields as a body (`user=U1&include_locale=true`).
    static func form(_ fields: [(name: String, value: String)]) -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let escape = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        return Data(fields.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&").utf8)
    }

    private func redacted(_ text: String) -> String {
        text.replacing(token.value, with: "<redacted>")
    }

    /// Sends a Web API request and reads Slack's answer into `Result`, or throws what went
    /// wrong. `redact` scrubs the caller's secrets from any text that goes into an error or log.
    static func exchange<Result: Decodable>(
        method: String,
        request: HTTPRequest,
        transport: any HTTPTransport,
        logger: Logger,
        redact: (String) -> String
    ) async throws(Error) -> Result {
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            logger.debug("Slack not reached", metadata: ["slack.method": "\(method)", "http.error": "\(redact(error.description))"])
            throw .unreachable(method: method, kind: error.kind, reason: redact(error.description))
        } catch is CancellationError {
            throw .cancelled(method: method)
        } catch {
            throw .unreachable(method: method, kind: nil, reason: redact(String(describing: error)))
        }

        let retryAfter = response.header("Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let status = try? decoder.decode(SlackStatus.self, from: response.body) else {
            logger.debug("Slack answer unreadable", metadata: ["slack.method": "\(method)", "http.status": "\(response.status)"])
            if !response.isSuccess { throw .httpStatus(method: method, status: response.status, retryAfter: retryAfter) }
            throw .unreadableAnswer(method: method, status: response.status, reason: unreadable(response))
        }
        guard status.ok, response.isSuccess else {
            let error = redact(status.error ?? (status.ok ? "HTTP \(response.status)" : "unknown_error"))
            logger.debug(
                "Slack refused a call",
                metadata: ["slack.method": "\(method)", "http.status": "\(response.status)", "slack.error": "\(error)"]
            )
            throw .refused(method: method, error: error, status: response.status, retryAfter: retryAfter)
        }
        do {
            let result = try decoder.decode(Result.self, from: response.body)
            logger.trace("Slack call answered", metadata: ["slack.method": "\(method)", "http.status": "\(response.status)"])
            return result
        } catch {
            throw .unreadableAnswer(method: method, status: response.status, reason: SlackPayloadError.reason(error))
        }
    }

    /// A short reason for an answer that is not the Web API's JSON; never quotes the body.
    static func unreadable(_ response: HTTPResponse) -> String {
        let type = response.header("Content-Type") ?? "no content type"
        return "HTTP \(response.status), not the Web API's JSON (\(response.body.count) bytes, \(type))"
    }

    /// The part of every answer that says whether it worked.
    struct SlackStatus: Decodable {
        var ok: Bool
        var error: String?
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()
}
