import Foundation
import RebindCore
import RebindSlack

/// The Slack Web API on loopback: `POST /api/<method>` in Slack's wire format, for the
/// methods Rebind uses (`auth.test`, `conversations.open`, `chat.postMessage`, `chat.update`,
/// `chat.postEphemeral`, `views.open`, `views.update`, `oauth.v2.access`).
///
/// It behaves as Slack does where Rebind depends on it: every method but `oauth.v2.access`
/// wants a bearer token it issued (`not_authed`, `invalid_auth`, `token_revoked` otherwise,
/// with HTTP 200 as Slack answers); DMs get `D…` channel ids, messages `ts` ids, and keep
/// their blocks and edit history; Block Kit that Slack would refuse gets `invalid_blocks`;
/// `chat.postMessage` is held to about 1 message per second per channel, answered HTTP 429
/// with `Retry-After` past it; `views.open` takes a trigger only once and within 3 seconds;
/// `oauth.v2.access` checks the client's id and secret and trades a code for a new
/// workspace's bot token, which then works like the first.
///
/// Time is the fake's clock: real (monotonic) by default, or a `ManualClock` the test moves.
/// The user's side is played by the test: `userPresses` and `userSubmits` return the
/// interactivity payloads Slack would post, and `authorize` the OAuth code of an install.
/// Faults make calls fail as Slack and networks do: 429, 5xx, refusals, hangs, drops.
public final class FakeSlackServer: Sendable {
    public static let defaultToken = Secret("xoxb-1000000001-2000000002-FakeSlackBotTokenForRebind")
    public static let defaultWorkspace = Workspace(teamID: "T0REBIND01", name: "Rebind Traders", botUserID: "U0REBINDBOT", botID: "B0REBIND01")
    public static let defaultClientID = "1000000001.3000000003"
    public static let defaultClientSecret = Secret("fake0client0secret0for0rebind00")
    static let oauthMethod = "oauth.v2.access"
    static let appID = "A0REBIND01"
    static let botScopes = "chat:write,im:write,im:history,commands,users:read"

    public let token: Secret
    public let clientID: String
    public let clientSecret: Secret
    private let api: FakeSlackAPI
    private let server: LoopbackHTTPServer

    private init(token: Secret, clientID: String, clientSecret: Secret, api: FakeSlackAPI, server: LoopbackHTTPServer) {
        self.token = token
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.api = api
        self.server = server
    }

    /// Starts the server; call `shutdown()` when done, or use `withServer`. `clock` drives the
    /// posting limit, trigger expiry and `ts` values; the real monotonic clock when nil, and then
    /// triggers do not expire.
    public static func start(
        token: Secret = defaultToken,
        limits: Limits = Limits(),
        clock: ManualClock? = nil,
        clientID: String = defaultClientID,
        clientSecret: Secret = defaultClientSecret
    ) async throws -> FakeSlackServer {
        let started = ContinuousClock.now
        let now: @Sendable () -> Double
        if let clock {
            now = { clock.now }
        } else {
            now = {
                (ContinuousClock.now - started).seconds
            }
        }
        let api = FakeSlackAPI(
            token: token.value,
            workspace: defaultWorkspace,
            clientID: clientID,
            clientSecret: clientSecret.value,
            limits: limits,
            now: now,
            expiresTriggers: clock != nil
        )
        let server = try await LoopbackHTTPServer.start { request in await api.reply(to: request) }
        return FakeSlackServer(token: token, clientID: clientID, clientSecret: clientSecret, api: api, server: server)
    }

    /// Runs `body` with a started server and shuts it down afterwards.
    public static func withServer<Result: Sendable>(
        token: Secret = defaultToken,
        limits: Limits = Limits(),
        clock: ManualClock? = nil,
        _ body: (FakeSlackServer) async throws -> Result
    ) async throws -> Result {
        try await withShutdown(try await start(token: token, limits: limits, clock: clock), shutdown: { try await $0.shutdown() }, body)
    }

    /// `http://127.0.0.1:PORT/api`, for `REBIND_SLACK_API_URL`.
    public var baseURL: String { server.baseURL + "/api" }

    /// Every HTTP request received so far, in order, exactly as sent.
    public func requests() -> [RecordedRequest] { server.requests() }

    public func shutdown() async throws {
        try await server.shutdown()
    }

    // MARK: Switches

    public var limits: Limits { api.read { $0.limits } }

    /// Changes the posting limit from now on.
    public func setLimits(_ limits: Limits) {
        api.change { $0.limits = limits }
    }

    /// Answers calls with `fault` instead of carrying them out: the next `times` calls (every
    /// call until `clearFaults()` when nil) of `method` (any when nil). Faults apply in the
    /// order injected; a missing or wrong token is still refused first.
    public func inject(_ fault: Fault, times: Int? = 1, method: String? = nil) {
        api.change { $0.faults.append(FaultRule(fault: fault, remaining: times, method: method?.lowercased())) }
    }

    public func clearFaults() {
        api.change { $0.faults.removeAll() }
    }

    /// The token stops working: `token_revoked` from now on (the app was uninstalled).
    public func revoke(_ token: Secret) {
        api.change { _ = $0.revokedTokens.insert(token.value) }
    }

    /// The revoked token works again (as a reinstall with the same bot would give it back).
    public func restore(_ token: Secret) {
        api.change { _ = $0.revokedTokens.remove(token.value) }
    }

    /// The user's Slack is in this language: `users.info` with `include_locale` says so.
    public func setLocale(_ locale: String, user: String) {
        api.change { $0.userLocales[user] = locale }
    }

    /// The workspace's token lacks a scope (installed before Rebind asked for it): methods
    /// that need it answer `missing_scope`.
    public func withhold(scope: String, teamID: String = defaultWorkspace.teamID) {
        api.change { $0.withheldScopes[teamID, default: []].insert(scope) }
    }

    /// The user is deactivated: `conversations.open` answers `user_disabled`.
    public func deactivate(user: String) {
        api.change { _ = $0.deactivatedUsers.insert(user) }
    }

    // MARK: The user's side

    /// A trigger id as Slack puts in a button press or slash command: `views.open` takes it
    /// once, within 3 seconds on the fake's clock.
    public func issueTrigger(user: String, teamID: String = defaultWorkspace.teamID) -> String {
        api.change { state in
            let sequence = state.next()
            let trigger = "\(sequence).\(FakeSlackAPI.epoch).\(String(format: "%032x", sequence &* 2_654_435_761))"
            state.triggers[trigger] = FakeSlackAPI.Trigger(teamID: teamID, user: user, issuedAt: api.now())
            return trigger
        }
    }

    /// The user of the DM `channel` presses the button `actionID` of message `ts`: the
    /// `block_actions` payload Slack would post, with a fresh trigger. Nil when there is no
    /// such button.
    public func userPresses(actionID: String, inMessage ts: String, channel: String) -> SlackBlockActions? {
        let found = api.read { state -> (String, String, Message)? in
            guard let known = state.channels[channel], let message = known.messages.first(where: { $0.ts == ts }) else { return nil }
            return (known.teamID, known.user, message)
        }
        guard let (teamID, user, message) = found,
            let button = message.buttons.first(where: { $0["action_id"]?.string == actionID })
        else { return nil }
        let blockID = message.blocks.first { block in
            guard case .array(let elements)? = block["elements"] else { return false }
            return elements.contains { $0["action_id"]?.string == actionID }
        }?["block_id"]?.string
        return SlackBlockActions(
            triggerID: issueTrigger(user: user, teamID: teamID),
            user: SlackUserRef(id: user, teamID: teamID),
            team: SlackTeamRef(id: teamID),
            apiAppID: Self.appID,
            container: .init(type: "message", messageTS: ts, channelID: channel, isEphemeral: false),
            channel: .init(id: channel),
            message: .init(ts: ts, text: message.text),
            actions: [
                .init(actionID: actionID, blockID: blockID, value: button["value"]?.string, url: button["url"]?.string, actionTS: Self.nowTS(api))
            ]
        )
    }

    /// The user submits the open modal `viewID` with these input values
    /// (`values[block_id][action_id]`): the `view_submission` payload Slack would post. Nil
    /// when no such view is open.
    public func userSubmits(viewID: String, values: [String: [String: String]]) -> SlackViewSubmission? {
        guard let record = view(id: viewID) else { return nil }
        let state = SlackViewInfo.State(values: values.mapValues { $0.mapValues { SlackViewInfo.Value(value: $0.isEmpty ? nil : $0) } })
        return SlackViewSubmission(
            triggerID: issueTrigger(user: record.user, teamID: record.teamID),
            user: SlackUserRef(id: record.user, teamID: record.teamID),
            team: SlackTeamRef(id: record.teamID),
            apiAppID: Self.appID,
            view: SlackViewInfo(
                id: record.id,
                teamID: record.teamID,
                callbackID: record.callbackID,
                privateMetadata: record.privateMetadata,
                hash: record.hash,
                rootViewID: record.id,
                state: state
            )
        )
    }

    /// The user writes `text` in their DM with the bot (opening it if needed): the
    /// `event_callback` Slack would post to the Events API, with a fresh `event_id`.
    public func userWrites(_ text: String, user: String, teamID: String = defaultWorkspace.teamID) -> SlackEventCallback {
        api.change { state in
            let key = "\(teamID)/\(user)"
            let channel = state.directChannels[key] ?? "D" + String(format: "%010d", state.next())
            if state.directChannels[key] == nil {
                state.directChannels[key] = channel
                state.channels[channel] = FakeSlackAPI.ChannelState(teamID: teamID, user: user)
            }
            let sequence = state.next()
            let ts = FakeSlackAPI.ts(sequence, now: api.now())
            return SlackEventCallback(
                teamID: teamID,
                apiAppID: Self.appID,
                eventID: "Ev" + String(format: "%010d", sequence),
                eventTime: Int64(FakeSlackAPI.epoch) + Int64(api.now()),
                event: SlackEvent(type: "message", channel: channel, channelType: "im", user: user, text: text, ts: ts, eventTS: ts, team: teamID)
            )
        }
    }

    /// The user types `/rebind <text>` in their DM: the slash command Slack would post, with
    /// a fresh trigger.
    public func userTypesCommand(
        _ text: String,
        command: String = "/rebind",
        user: String,
        teamID: String = defaultWorkspace.teamID
    ) -> SlackSlashCommand {
        let trigger = issueTrigger(user: user, teamID: teamID)
        let channel = api.read { $0.directChannels["\(teamID)/\(user)"] } ?? "D0000000000"
        return SlackSlashCommand(
            command: command,
            text: text,
            userID: user,
            teamID: teamID,
            channelID: channel,
            triggerID: trigger,
            responseURL: "https://hooks.slack.com/commands/\(teamID)/\(trigger.prefix(while: { $0 != "." }))/fake",
            userName: nil,
            teamDomain: "rebind",
            channelName: "directmessage",
            apiAppID: Self.appID
        )
    }

    /// An admin of workspace `teamID` approves the install: the `code` Slack hands the
    /// redirect, for one `oauth.v2.access`.
    public func authorize(teamID: String, teamName: String, installer: String, redirectURI: String? = nil) -> String {
        api.change { state in
            let sequence = state.next()
            let code = "\(sequence).\(FakeSlackAPI.epoch).\(String(format: "%016x", sequence &* 40_503))"
            state.codes[code] = FakeSlackAPI.Grant(teamID: teamID, teamName: teamName, installer: installer, redirectURI: redirectURI)
            return code
        }
    }

    /// An interactivity payload as Slack posts it: a form with the JSON in `payload`.
    public static func interactivityBody(_ payload: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(payload), as: UTF8.self)
        return SlackForm(fields: [("payload", json)]).encoded
    }

    private static func nowTS(_ api: FakeSlackAPI) -> String {
        api.change { state in FakeSlackAPI.ts(state.next(), now: api.now()) }
    }

    // MARK: Inspection

    /// The DM channel opened with a user, if any.
    public func directChannel(user: String, teamID: String = defaultWorkspace.teamID) -> String? {
        api.read { $0.directChannels["\(teamID)/\(user)"] }
    }

    /// The bot's messages in a channel, oldest first.
    public func messages(inChannel channel: String) -> [Message] {
        api.read { $0.channels[channel]?.messages ?? [] }
    }

    /// Ephemeral messages, in order.
    public func ephemeralMessages() -> [EphemeralMessage] {
        api.read { $0.ephemeral }
    }

    /// Modals opened, in order, as they are now.
    public func views() -> [View] {
        api.read { state in state.viewOrder.compactMap { state.views[$0] } }
    }

    public func view(id: String) -> View? {
        api.read { $0.views[id] }
    }

    /// The workspaces the fake knows: the default one and those installed via OAuth.
    public func workspaces() -> [Workspace] {
        api.read { $0.workspaces.values.sorted { $0.teamID < $1.teamID } }
    }

    /// Every Web API call so far, in order of arrival.
    public func calls() -> [Call] {
        api.read { $0.calls }
    }

    /// The calls of one method, in order.
    public func calls(method: String) -> [Call] {
        api.read { state in state.calls.filter { $0.method == method } }
    }

    /// How many calls were answered 429.
    public var count429s: Int {
        api.read { state in state.calls.count(where: { $0.status == 429 }) }
    }
}
