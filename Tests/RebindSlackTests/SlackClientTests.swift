import Foundation
import RebindCore
import RebindSimulator
import RebindSlack
import Testing

@Suite("SlackClient against the fake Web API")
struct SlackClientTests {
    static let user = TestUser.id

    @Test("auth.test sends the bot token as a bearer header, never in the URL or body, and names the workspace")
    func authTest() async throws {
        try await FakeSlackServer.withServer { fake in
            let identity = try await client(of: fake).authTest()
            #expect(identity.teamID == FakeSlackServer.defaultWorkspace.teamID)
            #expect(identity.userID == FakeSlackServer.defaultWorkspace.botUserID)
            #expect(identity.botID == FakeSlackServer.defaultWorkspace.botID)

            let request = try #require(fake.requests().last)
            #expect(request.method == "POST")
            #expect(request.path == "/api/auth.test")
            #expect(request.header("Authorization") == "Bearer \(fake.token.value)")
            #expect(request.header("Content-Type") == "application/json; charset=utf-8")
            #expect(!request.path.contains(fake.token.value))
            #expect(!request.bodyText.contains(fake.token.value))
            #expect(fake.calls().first?.warnings == [])
        }
    }

    @Test("conversations.open gives the user's DM channel, the same one every time")
    func openDirectMessage() async throws {
        try await FakeSlackServer.withServer { fake in
            let client = try client(of: fake)
            let channel = try await client.openDirectMessage(user: Self.user)
            #expect(channel.hasPrefix("D"))
            #expect(try await client.openDirectMessage(user: Self.user) == channel)
            #expect(fake.directChannel(user: Self.user) == channel)
            #expect(fake.calls(method: "conversations.open").first?["users"]?.string == Self.user)
        }
    }

    @Test("chat.postMessage posts JSON with blocks and returns the message's ts")
    func postMessage() async throws {
        try await FakeSlackServer.withServer { fake in
            let client = try client(of: fake)
            let channel = try await client.openDirectMessage(user: Self.user)
            let blocks: [SlackBlock] = [
                .section(text: .mrkdwn("*Robot paused* &amp; waiting")),
                .actions(elements: [SlackButton(text: .plain("Update API key"), actionID: "rebind.update", value: "u:abc", style: .primary)]),
            ]
            let sent = try await client.postMessage(SlackPostMessage(channel: channel, text: "Robot paused", blocks: blocks))
            #expect(sent.channel == channel)
            #expect(sent.ts.wholeMatch(of: /\d{10}\.\d{6}/) != nil)

            let message = try #require(fake.messages(inChannel: channel).first)
            #expect(message.ts == sent.ts)
            #expect(message.text == "Robot paused")
            #expect(message.sectionTexts == ["*Robot paused* &amp; waiting"])
            #expect(message.buttons.first?["action_id"]?.string == "rebind.update")
            #expect(message.buttons.first?["value"]?.string == "u:abc")
            let call = try #require(fake.calls(method: "chat.postMessage").first)
            #expect(call["unfurl_links"]?.bool == false)
            #expect(call["blocks"]?[0]?["type"]?.string == "section")
        }
    }

    @Test("chat.update replaces the text and blocks and keeps the old version in the history")
    func updateMessage() async throws {
        try await FakeSlackServer.withServer { fake in
            let client = try client(of: fake)
            let channel = try await client.openDirectMessage(user: Self.user)
            let sent = try await client.postMessage(
                SlackPostMessage(channel: channel, text: "Paused", blocks: [.section(text: .mrkdwn("Paused"))])
            )
            let updated = try await client.updateMessage(
                SlackUpdateMessage(channel: channel, ts: sent.ts, text: "Resolved", blocks: [.section(text: .mrkdwn("_Resolved_"))])
            )
            #expect(updated.ts == sent.ts)
            let message = try #require(fake.messages(inChannel: channel).first)
            #expect(message.sectionTexts == ["_Resolved_"])
            #expect(message.history.map(\.text) == ["Paused"])

            let missing = await #expect(throws: SlackClient.Error.self) {
                try await client.updateMessage(SlackUpdateMessage(channel: channel, ts: "1700000000.999999", text: "x"))
            }
            #expect(missing?.slackError == "message_not_found")
        }
    }

    @Test("chat.postEphemeral posts to one user and returns message_ts")
    func postEphemeral() async throws {
        try await FakeSlackServer.withServer { fake in
            let sent = try await client(of: fake).postEphemeral(SlackPostEphemeral(channel: "C0GENERAL1", user: Self.user, text: "Only you"))
            #expect(!sent.messageTS.isEmpty)
            #expect(fake.ephemeralMessages().map(\.text) == ["Only you"])
            #expect(fake.ephemeralMessages().first?.user == Self.user)
        }
    }

    static let keyForm = SlackView(
        title: .plain("Update API key"),
        blocks: [
            .input(blockID: "api_key", label: .plain("API Key"), element: SlackPlainTextInput(actionID: "value")),
            .input(blockID: "api_secret", label: .plain("API SecretKey"), element: SlackPlainTextInput(actionID: "value")),
        ],
        submit: .plain("Check key"),
        close: .plain("Cancel"),
        callbackID: "rebind.key",
        privateMetadata: "a:0123456789abcdef"
    )

    @Test("views.open shows the modal once per trigger and returns its id; views.update replaces it")
    func views() async throws {
        try await FakeSlackServer.withServer { fake in
            let client = try client(of: fake)
            let trigger = fake.issueTrigger(user: Self.user)
            let opened = try await client.openView(SlackViewsOpen(triggerID: trigger, view: Self.keyForm))
            #expect(opened.id.hasPrefix("V"))
            #expect(opened.callbackID == "rebind.key")
            #expect(opened.privateMetadata == "a:0123456789abcdef")
            #expect(fake.view(id: opened.id)?.inputs.map(\.blockID) == ["api_key", "api_secret"])

            let again = await #expect(throws: SlackClient.Error.self) {
                _ = try await client.openView(SlackViewsOpen(triggerID: trigger, view: Self.keyForm))
            }
            #expect(again?.slackError == "exchanged_trigger_id")

            let checking = SlackView(title: .plain("Update API key"), blocks: [.section(text: .mrkdwn("Checking your key…"))])
            let updated = try await client.updateView(SlackViewsUpdate(viewID: opened.id, hash: opened.hash, view: checking))
            #expect(updated.hash != opened.hash)
            #expect(fake.view(id: opened.id)?.history.count == 1)
            let stale = await #expect(throws: SlackClient.Error.self) {
                try await client.updateView(SlackViewsUpdate(viewID: opened.id, hash: opened.hash, view: checking))
            }
            #expect(stale?.slackError == "hash_conflict")
        }
    }

    @Test("a trigger older than 3 seconds on the fake's clock is refused as expired")
    func expiredTrigger() async throws {
        let clock = FakeSlackServer.ManualClock()
        try await FakeSlackServer.withServer(clock: clock) { fake in
            let trigger = fake.issueTrigger(user: Self.user)
            clock.advance(by: 3.5)
            let error = await #expect(throws: SlackClient.Error.self) {
                _ = try await client(of: fake).openView(SlackViewsOpen(triggerID: trigger, view: Self.keyForm))
            }
            #expect(error?.slackError == "expired_trigger_id")
        }
    }

    @Test("a modal Slack would refuse is not sent")
    func invalidView() async throws {
        try await FakeSlackServer.withServer { fake in
            var view = Self.keyForm
            view.submit = nil
            let error = await #expect(throws: SlackClient.Error.self) {
                _ = try await client(of: fake).openView(SlackViewsOpen(triggerID: fake.issueTrigger(user: Self.user), view: view))
            }
            guard case .invalidRequest(_, let reason)? = error else {
                Issue.record("expected invalidRequest, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("submit"))
            #expect(fake.calls().isEmpty)
        }
    }

    @Test("oauth.v2.access trades the code for a workspace token, with the client credentials in the form body, and the token works")
    func oauthAccess() async throws {
        try await FakeSlackServer.withServer { fake in
            let code = fake.authorize(
                teamID: "T0SECOND01",
                teamName: "Second Desk",
                installer: "U0ADMIN001",
                redirectURI: "https://rebind.example/v1/slack/oauth/callback"
            )
            let oauth = SlackOAuth(baseURL: fake.baseURL, clientID: fake.clientID, clientSecret: fake.clientSecret, transport: try testTransport())
            let access = try await oauth.access(code: code, redirectURI: "https://rebind.example/v1/slack/oauth/callback")
            #expect(access.team.id == "T0SECOND01")
            #expect(access.team.name == "Second Desk")
            #expect(access.tokenType == "bot")
            #expect(access.botUserID?.hasPrefix("U") == true)
            #expect(access.authedUser?.id == "U0ADMIN001")
            #expect(access.accessToken.value.hasPrefix("xoxb-"))
            #expect(String(describing: access.accessToken) == "<redacted>")

            let request = try #require(fake.requests().last)
            #expect(request.path == "/api/oauth.v2.access")
            #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
            #expect(request.header("Authorization") == nil)
            #expect(!request.path.contains(fake.clientSecret.value))
            #expect(fake.calls().last?["client_secret"]?.string == fake.clientSecret.value)

            let identity = try await client(of: fake, token: access.accessToken).authTest()
            #expect(identity.teamID == "T0SECOND01")

            let reused = await #expect(throws: SlackClient.Error.self) {
                _ = try await oauth.access(code: code, redirectURI: "https://rebind.example/v1/slack/oauth/callback")
            }
            #expect(reused?.slackError == "invalid_code")
            let wrongSecret = SlackOAuth(
                baseURL: fake.baseURL,
                clientID: fake.clientID,
                clientSecret: Secret("not-the-secret"),
                transport: try testTransport()
            )
            let refused = await #expect(throws: SlackClient.Error.self) {
                _ = try await wrongSecret.access(code: fake.authorize(teamID: "T0THIRD001", teamName: "Third", installer: "U0ADMIN002"))
            }
            #expect(refused?.slackError == "bad_client_secret")
            #expect(refused?.description.contains("not-the-secret") == false)
        }
    }

    @Test("a token the fake never issued gets invalid_auth, and a revoked one token_revoked")
    func badTokens() async throws {
        try await FakeSlackServer.withServer { fake in
            let wrong = await #expect(throws: SlackClient.Error.self) {
                _ = try await client(of: fake, token: Secret("xoxb-0-0-wrong")).authTest()
            }
            #expect(wrong == .refused(method: "auth.test", error: "invalid_auth", status: 200, retryAfter: nil))
            #expect(wrong?.isTokenBroken == true)
            fake.revoke(fake.token)
            let revoked = await #expect(throws: SlackClient.Error.self) { _ = try await client(of: fake).authTest() }
            #expect(revoked?.slackError == "token_revoked")
        }
    }

    @Test("a token with a line break is refused before any request", arguments: ["xoxb-1\r\nX-Evil: 1", "", "xoxb 1"])
    func malformedToken(token: String) throws {
        #expect(throws: SlackClient.Error.invalidToken) {
            _ = try SlackClient(token: Secret(token), transport: try testTransport())
        }
    }

    @Test("buttons Slack would refuse are not sent")
    func invalidBlocks() async throws {
        try await FakeSlackServer.withServer { fake in
            let long = SlackButton(text: .plain(String(repeating: "x", count: 76)), actionID: "rebind.update", value: "u:1")
            let error = await #expect(throws: SlackClient.Error.self) {
                _ = try await client(of: fake).postMessage(SlackPostMessage(channel: "D1", text: "x", blocks: [.actions(elements: [long])]))
            }
            guard case .invalidRequest? = error else {
                Issue.record("expected invalidRequest, got \(String(describing: error))")
                return
            }
            #expect(fake.calls().isEmpty)
        }
    }
}
