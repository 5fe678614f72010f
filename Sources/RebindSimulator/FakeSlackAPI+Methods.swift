import Foundation

extension FakeSlackAPI {
    static let methods: Set<String> = [
        "auth.test", "conversations.open", "chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update",
        "users.info", FakeSlackServer.oauthMethod,
    ]
    /// Methods that read their arguments only from the query or a form body.
    static let formOnlyMethods: Set<String> = ["users.info"]

    func perform(_ method: String, _ arguments: Arguments, teamID: String?) -> Answer {
        guard Self.methods.contains(method) else { return .error("unknown_method") }
        if method == FakeSlackServer.oauthMethod { return change { oauthAccess(arguments, &$0) } }
        guard let teamID else { return .error("invalid_auth") }
        return change { state in
            switch method {
            case "auth.test": authTest(teamID, state)
            case "conversations.open": openConversation(arguments, teamID, &state)
            case "chat.postMessage": postMessage(arguments, teamID, &state)
            case "chat.update": updateMessage(arguments, teamID, &state)
            case "chat.postEphemeral": postEphemeral(arguments, teamID, &state)
            case "views.open": openView(arguments, teamID, &state)
            case "users.info": userInfo(arguments, teamID, state)
            default: updateView(arguments, teamID, &state)
            }
        }
    }

    // MARK: Identity and DMs

    private func authTest(_ teamID: String, _ state: State) -> Answer {
        guard let workspace = state.workspaces[teamID] else { return .error("invalid_auth") }
        return .ok([
            "url": .string("https://\(workspace.name.lowercased().filter(\.isLetter)).slack.com/"), "team": .string(workspace.name),
            "user": .string("rebind"), "team_id": .string(teamID), "user_id": .string(workspace.botUserID),
            "bot_id": .string(workspace.botID), "is_enterprise_install": .bool(false),
        ])
    }

    private func openConversation(_ arguments: Arguments, _ teamID: String, _ state: inout State) -> Answer {
        guard let users = arguments["users"]?.string, !users.isEmpty else { return .error("users_list_not_supplied") }
        guard !users.contains(",") else { return .error("not_enough_users") }
        guard Self.isUserID(users) else { return .error("user_not_found") }
        if state.workspaces[teamID]?.botUserID == users { return .error("cannot_dm_bot") }
        if state.deactivatedUsers.contains(users) { return .error("user_disabled") }
        let key = "\(teamID)/\(users)"
        if let channel = state.directChannels[key] {
            return .ok(["no_op": .bool(true), "already_open": .bool(true), "channel": .object(["id": .string(channel)])])
        }
        let channel = "D" + String(format: "%010d", state.next())
        state.directChannels[key] = channel
        state.channels[channel] = ChannelState(teamID: teamID, user: users)
        return .ok(["channel": .object(["id": .string(channel)])])
    }

    private func userInfo(_ arguments: Arguments, _ teamID: String, _ state: State) -> Answer {
        if state.withheldScopes[teamID]?.contains("users:read") == true {
            var answer = Answer.error("missing_scope")
            answer.fields["needed"] = .string("users:read")
            return answer
        }
        guard let user = arguments["user"]?.string, Self.isUserID(user) else { return .error("user_not_found") }
        var profile: [String: JSONValue] = [
            "id": .string(user), "team_id": .string(teamID), "name": .string(user.lowercased()),
            "deleted": .bool(state.deactivatedUsers.contains(user)),
        ]
        if arguments["include_locale"]?.string == "true" || arguments["include_locale"]?.bool == true {
            profile["locale"] = .string(state.userLocales[user] ?? "en-US")
        }
        return .ok(["user": .object(profile)])
    }

    static func isUserID(_ text: String) -> Bool {
        (text.hasPrefix("U") || text.hasPrefix("W")) && text.count >= 2 && text.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    // MARK: Messages

    private func postMessage(_ arguments: Arguments, _ teamID: String, _ state: inout State) -> Answer {
        guard let channel = arguments["channel"]?.string, !channel.isEmpty else { return .error("channel_not_found") }
        guard let known = state.channels[channel], known.teamID == teamID else { return .error("channel_not_found") }
        let version: Server.Message.Version
        do { version = try Self.content(arguments, previous: nil) } catch { return error }
        if let retryAfter = admit(channel: channel, &state) { return .rateLimited(retryAfter: retryAfter) }
        let ts = Self.ts(state.next(), now: now())
        state.channels[channel]?.messages.append(Server.Message(channel: channel, ts: ts, current: version, history: []))
        let bot = state.workspaces[teamID]
        return .ok([
            "channel": .string(channel), "ts": .string(ts),
            "message": .object([
                "type": .string("message"), "text": .string(version.text), "user": .string(bot?.botUserID ?? ""),
                "bot_id": .string(bot?.botID ?? ""), "ts": .string(ts), "blocks": .array(version.blocks),
            ]),
        ])
    }

    private func updateMessage(_ arguments: Arguments, _ teamID: String, _ state: inout State) -> Answer {
        guard let channel = arguments["channel"]?.string, let known = state.channels[channel], known.teamID == teamID else {
            return .error("channel_not_found")
        }
        guard let ts = arguments["ts"]?.string, let index = known.messages.firstIndex(where: { $0.ts == ts }) else {
            return .error("message_not_found")
        }
        let previous = known.messages[index].current
        let version: Server.Message.Version
        do { version = try Self.content(arguments, previous: previous) } catch { return error }
        state.channels[channel]?.messages[index].history.append(previous)
        state.channels[channel]?.messages[index].current = version
        return .ok(["channel": .string(channel), "ts": .string(ts), "text": .string(version.text)])
    }

    private func postEphemeral(_ arguments: Arguments, _ teamID: String, _ state: inout State) -> Answer {
        guard let channel = arguments["channel"]?.string, !channel.isEmpty else { return .error("channel_not_found") }
        // DMs must be open; public and private channels are taken to exist, with the user in them.
        if channel.hasPrefix("D"), state.channels[channel]?.teamID != teamID { return .error("channel_not_found") }
        guard let user = arguments["user"]?.string, Self.isUserID(user) else { return .error("user_not_found") }
        if state.deactivatedUsers.contains(user) { return .error("user_not_in_channel") }
        let version: Server.Message.Version
        do { version = try Self.content(arguments, previous: nil) } catch { return error }
        if let retryAfter = admit(channel: channel, &state) { return .rateLimited(retryAfter: retryAfter) }
        let ts = Self.ts(state.next(), now: now())
        state.ephemeral.append(Server.EphemeralMessage(channel: channel, user: user, messageTS: ts, text: version.text, blocks: version.blocks))
        return .ok(["message_ts": .string(ts)])
    }

    /// The text and blocks a post or update asks for, or Slack's refusal. An update without
    /// `blocks` keeps the message's blocks; with an empty array it removes them.
    static func content(_ arguments: Arguments, previous: Server.Message.Version?) throws(Answer) -> Server.Message.Version {
        let text = arguments["text"]?.string ?? ""
        var blocks = previous?.blocks ?? []
        switch arguments["blocks"] {
        case nil, .null?: break
        case .array(let array)?: blocks = array
        case .string(let json)?:
            guard case .array(let array)? = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
                throw .error("invalid_blocks_format")
            }
            blocks = array
        default: throw .error("invalid_blocks_format")
        }
        if text.isEmpty && blocks.isEmpty { throw .error("no_text") }
        if text.count > 40_000 { throw .error("msg_too_long") }
        if let problem = blockProblem(blocks) { throw problem }
        return Server.Message.Version(text: text, blocks: blocks)
    }

    /// `invalid_blocks` for what Slack's Block Kit validation refuses among the blocks Rebind uses.
    static func blockProblem(_ blocks: [JSONValue]) -> Answer? {
        if blocks.count > 50 { return .error("invalid_blocks") }
        for block in blocks {
            switch block["type"]?.string {
            case "section":
                guard let text = block["text"]?["text"]?.string, !text.isEmpty, text.count <= 3_000,
                    ["mrkdwn", "plain_text"].contains(block["text"]?["type"]?.string ?? "")
                else { return .error("invalid_blocks") }
            case "actions":
                guard case .array(let elements)? = block["elements"], (1...25).contains(elements.count) else { return .error("invalid_blocks") }
                let ids = elements.compactMap { $0["action_id"]?.string }
                guard Set(ids).count == ids.count else { return .error("invalid_blocks") }
                for element in elements {
                    guard element["type"]?.string == "button", let title = element["text"]?["text"]?.string, (1...75).contains(title.count),
                        element["text"]?["type"]?.string == "plain_text"
                    else { return .error("invalid_blocks") }
                    if let value = element["value"]?.string, value.count > 2_000 { return .error("invalid_blocks") }
                }
            case "input":
                guard block["label"]?["text"]?.string != nil, block["element"]?["type"]?.string == "plain_text_input" else {
                    return .error("invalid_blocks")
                }
            case "divider", "context", "header":
                continue
            default:
                return .error("invalid_blocks")
            }
        }
        return nil
    }

    /// `1700000123.000042`: Unix-like seconds from the fake's clock, and a unique suffix.
    static func ts(_ sequence: Int, now: Double) -> String {
        "\(epoch + Int(now.rounded(.down))).\(String(format: "%06d", sequence % 1_000_000))"
    }

    /// Takes a token from the channel's bucket; returns the seconds to wait when there is none.
    private func admit(channel: String, _ state: inout State) -> Int? {
        let limits = state.limits
        let now = now()
        var bucket = state.channels[channel]?.bucket ?? FakeTelegramBot.TokenBucket(tokens: Double(limits.perChannelBurst), updatedAt: now)
        bucket.refill(now: now, rate: limits.perChannelPerSecond, capacity: limits.perChannelBurst)
        let wait = bucket.wait(rate: limits.perChannelPerSecond)
        if wait == 0 { bucket.tokens -= 1 }
        if state.channels[channel] != nil {
            state.channels[channel]?.bucket = bucket
        } else {
            state.channels[channel] = ChannelState(teamID: "", user: "", bucket: bucket)
        }
        return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
    }

    // MARK: Modals

    private func openView(_ arguments: Arguments, _ teamID: String, _ state: inout State) -> Answer {
        guard let triggerID = arguments["trigger_id"]?.string, let trigger = state.triggers[triggerID], trigger.teamID == teamID else {
            return .error("invalid_trigger_id")
        }
        guard !trigger.used else { return .error("exchanged_trigger_id") }
        guard !expiresTriggers || now() - trigger.issuedAt <= Self.triggerLifetime else { return .error("expired_trigger_id") }
        guard let view = Self.view(arguments["view"]) else { return .error("invalid_arguments") }
        state.triggers[triggerID]?.used = true
        let id = "V" + String(format: "%010d", state.next())
        let record = Server.View(id: id, teamID: teamID, user: trigger.user, hash: Self.hash(state.next(), now: now()), view: view, history: [])
        state.views[id] = record
        state.viewOrder.append(id)
        return .ok(["view": Self.describe(record)])
    }

    private func updateView(_ arguments: Arguments, _ teamID: String, _ state: inout State) -> Answer {
        let id =
            arguments["view_id"]?.string
            ?? arguments["external_id"]?.string.flatMap { external in
                state.viewOrder.last { state.views[$0]?.view["external_id"]?.string == external }
            }
        guard let id, var record = state.views[id], record.teamID == teamID else { return .error("not_found") }
        if let hash = arguments["hash"]?.string, hash != record.hash { return .error("hash_conflict") }
        guard let view = Self.view(arguments["view"]) else { return .error("invalid_arguments") }
        record.history.append(record.view)
        record.view = view
        record.hash = Self.hash(state.next(), now: now())
        state.views[id] = record
        return .ok(["view": Self.describe(record)])
    }

    /// The view argument, as an object or JSON text, if it is a modal Slack would take.
    static func view(_ argument: JSONValue?) -> JSONValue? {
        var value = argument
        if case .string(let json)? = argument { value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) }
        guard let value, value["type"]?.string == "modal", let title = value["title"]?["text"]?.string, (1...24).contains(title.count),
            case .array(let blocks)? = value["blocks"], blockProblem(blocks) == nil
        else { return nil }
        let hasInputs = blocks.contains { $0["type"]?.string == "input" }
        if hasInputs && value["submit"] == nil { return nil }
        return value
    }

    static func hash(_ sequence: Int, now: Double) -> String {
        "\(epoch + Int(now.rounded(.down))).\(String(format: "%08x", sequence &* 2_654_435_761 & 0xFFFF_FFFF))"
    }

    /// The view as Slack describes it back: what was sent, plus id, team, hash and empty state.
    static func describe(_ record: Server.View) -> JSONValue {
        guard case .object(var fields) = record.view else { return record.view }
        fields["id"] = .string(record.id)
        fields["team_id"] = .string(record.teamID)
        fields["hash"] = .string(record.hash)
        fields["root_view_id"] = .string(record.id)
        fields["callback_id"] = fields["callback_id"] ?? .string("")
        fields["private_metadata"] = fields["private_metadata"] ?? .string("")
        fields["state"] = .object(["values": .object([:])])
        return .object(fields)
    }

    // MARK: OAuth

    private func oauthAccess(_ arguments: Arguments, _ state: inout State) -> Answer {
        guard arguments["client_id"]?.string == clientID else { return .error("invalid_client_id") }
        guard let secret = arguments["client_secret"]?.string, secret == clientSecret else { return .error("bad_client_secret") }
        guard let code = arguments["code"]?.string, let grant = state.codes.removeValue(forKey: code) else { return .error("invalid_code") }
        if let expected = grant.redirectURI, arguments["redirect_uri"]?.string != expected { return .error("bad_redirect_uri") }
        let sequence = state.next()
        let workspace =
            state.workspaces[grant.teamID]
            ?? Server.Workspace(
                teamID: grant.teamID,
                name: grant.teamName,
                botUserID: "U0B" + String(format: "%07d", sequence),
                botID: "B0B" + String(format: "%07d", sequence)
            )
        state.workspaces[grant.teamID] = workspace
        let token = "xoxb-\(sequence)-\(grant.teamID)-fake\(String(format: "%08x", sequence &* 2_654_435_761 & 0xFFFF_FFFF))"
        state.tokens[token] = grant.teamID
        return .ok([
            "access_token": .string(token), "token_type": .string("bot"), "scope": .string(FakeSlackServer.botScopes),
            "bot_user_id": .string(workspace.botUserID), "app_id": .string(FakeSlackServer.appID),
            "team": .object(["id": .string(workspace.teamID), "name": .string(workspace.name)]), "enterprise": .null,
            "authed_user": .object(["id": .string(grant.installer)]), "is_enterprise_install": .bool(false),
        ])
    }
}
