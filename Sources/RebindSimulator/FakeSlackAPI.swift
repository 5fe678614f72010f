import Foundation
import Synchronization

/// The Web API's behaviour behind `FakeSlackServer`: workspaces and their tokens, DMs and
/// their messages, modals and triggers, OAuth codes, the posting limit and injected faults.
/// All of it lives in one locked state, changed one call at a time.
final class FakeSlackAPI: Sendable {
    typealias Server = FakeSlackServer
    typealias JSONValue = FakeSlackServer.JSONValue
    typealias Arguments = [String: JSONValue]

    let clientID: String
    let clientSecret: String
    /// Seconds on the fake's clock.
    let now: @Sendable () -> Double
    /// Whether triggers expire (only on an injected clock).
    let expiresTriggers: Bool
    let state: Mutex<State>

    struct State {
        var limits: Server.Limits
        var faults: [Server.FaultRule] = []
        var calls: [Server.Call] = []
        /// By team id.
        var workspaces: [String: Server.Workspace] = [:]
        /// Token → team id.
        var tokens: [String: String] = [:]
        var revokedTokens: Set<String> = []
        var deactivatedUsers: Set<String> = []
        /// User id → the locale `users.info` reports (Slack's default, `en-US`, otherwise).
        var userLocales: [String: String] = [:]
        /// Team id → scopes its token lacks.
        var withheldScopes: [String: Set<String>] = [:]
        /// `TEAM/USER` → DM channel id.
        var directChannels: [String: String] = [:]
        var channels: [String: ChannelState] = [:]
        var ephemeral: [Server.EphemeralMessage] = []
        var views: [String: Server.View] = [:]
        var viewOrder: [String] = []
        var triggers: [String: Trigger] = [:]
        var codes: [String: Grant] = [:]
        /// Feeds every id and `ts` the fake hands out, so they are unique and increasing.
        var sequence = 0

        mutating func next() -> Int {
            sequence += 1
            return sequence
        }
    }

    struct ChannelState {
        var teamID: String
        var user: String
        var messages: [Server.Message] = []
        var bucket: FakeTelegramBot.TokenBucket?
    }

    struct Trigger {
        var teamID: String
        var user: String
        var issuedAt: Double
        var used = false
    }

    /// An authorization the user granted, waiting for `oauth.v2.access`.
    struct Grant {
        var teamID: String
        var teamName: String
        var installer: String
        var redirectURI: String?
    }

    /// Slack's triggers expire after 3 seconds. The fake enforces it only on an injected
    /// `ManualClock`: on the wall clock a loaded test machine could take longer than that between
    /// issuing a trigger and opening the view, which would be a timing race, not a finding.
    static let triggerLifetime = 3.0
    /// `ts` values start here, like Slack's (Unix seconds, microseconds).
    static let epoch = 1_700_000_000

    init(
        token: String,
        workspace: Server.Workspace,
        clientID: String,
        clientSecret: String,
        limits: Server.Limits,
        now: @escaping @Sendable () -> Double,
        expiresTriggers: Bool
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.now = now
        self.expiresTriggers = expiresTriggers
        var state = State(limits: limits)
        state.workspaces[workspace.teamID] = workspace
        state.tokens[token] = workspace.teamID
        self.state = Mutex(state)
    }

    @discardableResult
    func change<Result>(_ body: (inout State) -> Result) -> Result {
        state.withLock { body(&$0) }
    }

    func read<Result>(_ body: (State) -> Result) -> Result {
        state.withLock { body($0) }
    }

    // MARK: Answers

    /// A Web API answer before it becomes an HTTP reply; an error when it is a refusal that
    /// ends a call early.
    struct Answer: Error {
        var status = 200
        var fields: [String: JSONValue]
        var error: String?
        var retryAfter: Int?
        var raw: (body: Data, contentType: String)?

        static func ok(_ fields: [String: JSONValue] = [:]) -> Answer {
            var fields = fields
            fields["ok"] = .bool(true)
            return Answer(fields: fields)
        }

        /// `{"ok":false,"error":…}`, with HTTP 200 as Slack refuses.
        static func error(_ error: String, status: Int = 200) -> Answer {
            Answer(status: status, fields: ["ok": .bool(false), "error": .string(error)], error: error)
        }

        static func rateLimited(retryAfter: Int) -> Answer {
            var answer = Answer.error("ratelimited", status: 429)
            answer.retryAfter = retryAfter
            return answer
        }

        func reply(warnings: [String]) -> FakeReply {
            if let raw { return .respond(status: status, headers: [("Content-Type", raw.contentType)], body: raw.body) }
            var fields = fields
            if !warnings.isEmpty {
                fields["warning"] = .string(warnings.joined(separator: ","))
                fields["response_metadata"] = .object(["warnings": .array(warnings.map(JSONValue.string))])
            }
            var headers = [("Content-Type", "application/json; charset=utf-8")]
            if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
            return .respond(status: status, headers: headers, body: FakeSlackAPI.encode(.object(fields)))
        }
    }

    static func encode(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    // MARK: The handler

    func reply(to request: RecordedRequest) async -> FakeReply {
        let path = request.pathWithoutQuery
        guard path.hasPrefix("/api/"), path.count > 5 else {
            return .respond(status: 404, headers: [("Content-Type", "text/plain")], body: Data("Not Found".utf8))
        }
        let method = String(path.dropFirst(5))
        let contentType = request.header("Content-Type")
        let parsed = Self.arguments(of: request)
        var arguments = (try? parsed.get()) ?? [:]
        // Slack's read methods take their arguments from the query or a form, never from JSON.
        if Self.formOnlyMethods.contains(method), contentType?.lowercased().hasPrefix("application/json") == true {
            arguments = Dictionary(request.queryItems.map { ($0.name, JSONValue.string($0.value ?? "")) }) { $1 }
        }
        let bearer = request.header("Authorization").flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        let token = bearer ?? arguments.removeValue(forKey: "token")?.string
        let warnings =
            contentType.map { $0.lowercased().hasPrefix("application/json") && !$0.lowercased().contains("charset") } == true
            ? ["missing_charset"] : []
        let number = change { state in
            state.calls.append(
                Server.Call(
                    number: state.calls.count + 1,
                    method: method,
                    arguments: arguments,
                    contentType: contentType,
                    bearer: bearer != nil,
                    receivedAt: now(),
                    outcome: .answered(status: 0),
                    error: nil,
                    retryAfter: nil,
                    warnings: warnings
                )
            )
            return state.calls.count
        }

        let answer: Answer
        if case .failure(let refusal) = parsed {
            answer = refusal
        } else if let refusal = authenticate(method: method, token: token) {
            answer = refusal
        } else {
            switch takeFault(method: method) {
            case .rateLimited(let seconds): answer = .rateLimited(retryAfter: seconds)
            case .error(let error): answer = .error(error)
            case .serverError(let status): answer = Self.serverError(status)
            case .malformedAnswer: answer = Answer(fields: [:], raw: (Data(#"{"ok":true,"channel":"#.utf8), "application/json"))
            case .hang:
                change { $0.calls[number - 1].outcome = .hung }
                return .hang
            case .drop:
                change { $0.calls[number - 1].outcome = .dropped }
                return .drop
            case nil:
                answer = perform(method, arguments, teamID: token.flatMap { token in read { $0.tokens[token] } })
            }
        }
        change { state in
            state.calls[number - 1].outcome = .answered(status: answer.status)
            state.calls[number - 1].error = answer.error
            state.calls[number - 1].retryAfter = answer.retryAfter
        }
        return answer.reply(warnings: warnings)
    }

    /// `not_authed` without a token, `invalid_auth` for one the fake never issued,
    /// `token_revoked` for a revoked one; nil when the call may go on.
    private func authenticate(method: String, token: String?) -> Answer? {
        guard method != FakeSlackServer.oauthMethod, Self.methods.contains(method) else { return nil }
        guard let token, !token.isEmpty else { return .error("not_authed") }
        return read { state in
            if state.revokedTokens.contains(token) { return .error("token_revoked") }
            return state.tokens[token] == nil ? .error("invalid_auth") : nil
        }
    }

    /// Removes and returns the first fault that applies to this call, counting it down.
    private func takeFault(method: String) -> Server.Fault? {
        change { state in
            guard let index = state.faults.firstIndex(where: { $0.applies(to: method) }) else { return nil }
            let fault = state.faults[index].fault
            if let remaining = state.faults[index].remaining {
                if remaining <= 1 { state.faults.remove(at: index) } else { state.faults[index].remaining = remaining - 1 }
            }
            return fault
        }
    }

    /// 500 as the Web API's JSON; other 5xx as the HTML page of Slack's edge.
    static func serverError(_ status: Int) -> Answer {
        if status == 500 { return .error("fatal_error", status: 500) }
        let page = "<html><head><title>\(status)</title></head><body><h1>Slack is having trouble (\(status))</h1></body></html>"
        return Answer(status: status, fields: [:], error: "HTTP \(status)", raw: (Data(page.utf8), "text/html"))
    }

    /// The call's arguments from its query, JSON body or form body; `invalid_json` or
    /// `invalid_form_data` when unreadable.
    static func arguments(of request: RecordedRequest) -> Result<Arguments, Answer> {
        var arguments: Arguments = [:]
        for item in request.queryItems { arguments[item.name] = .string(item.value ?? "") }
        guard !request.body.isEmpty else { return .success(arguments) }
        let type = request.header("Content-Type")?.lowercased() ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded") {
            var components = URLComponents()
            components.percentEncodedQuery = request.bodyText.replacingOccurrences(of: "+", with: "%20")
            guard let items = components.queryItems else { return .failure(.error("invalid_form_data")) }
            for item in items { arguments[item.name] = .string(item.value ?? "") }
            return .success(arguments)
        }
        guard type.hasPrefix("application/json") else { return .failure(.error("invalid_form_data")) }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: request.body) else {
            return .failure(.error("invalid_json"))
        }
        arguments.merge(object) { $1 }
        return .success(arguments)
    }
}
