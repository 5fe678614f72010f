import Foundation
import RebindCore
import RebindHTTP
import RebindSimulator
import RebindSlack
import Testing

@Suite("The fake Slack Web API behaves as Slack does")
struct FakeSlackServerTests {
    /// `chat.postMessage` with blocks as given, unchecked by the client, as another app might send.
    struct RawPost: SlackMethod {
        static let name = "chat.postMessage"
        typealias Result = SlackPostMessage.Result
        var channel: String
        var text: String
        var blocks: [[String: String]]
    }

    @Test("about 1 message per second per channel: the second at once gets 429 with Retry-After; a second later it goes")
    func perChannelLimit() async throws {
        let clock = FakeSlackServer.ManualClock()
        try await FakeSlackServer.withServer(clock: clock) { fake in
            let client = try client(of: fake)
            let first = try await client.openDirectMessage(user: "U0FIRST001")
            let second = try await client.openDirectMessage(user: "U0SECOND01")
            _ = try await client.postMessage(SlackPostMessage(channel: first, text: "one"))
            let limited = await #expect(throws: SlackClient.Error.self) {
                _ = try await client.postMessage(SlackPostMessage(channel: first, text: "two"))
            }
            #expect(limited == .refused(method: "chat.postMessage", error: "ratelimited", status: 429, retryAfter: 1))
            #expect(limited?.deliveryError == .rateLimited(retryAfter: 1))
            #expect(fake.requests().isEmpty == false)

            // Another channel has its own allowance; edits are not held to it.
            _ = try await client.postMessage(SlackPostMessage(channel: second, text: "elsewhere"))
            let ts = try #require(fake.messages(inChannel: first).first).ts
            try await client.updateMessage(SlackUpdateMessage(channel: first, ts: ts, text: "edited"))

            clock.advance(by: 0.5)
            await #expect(throws: SlackClient.Error.self) { _ = try await client.postMessage(SlackPostMessage(channel: first, text: "two")) }
            clock.advance(by: 0.5)
            _ = try await client.postMessage(SlackPostMessage(channel: first, text: "two"))
            #expect(fake.messages(inChannel: first).map(\.text) == ["edited", "two"])
            #expect(fake.count429s == 2)
            let refusal = try #require(fake.calls(method: "chat.postMessage").first { $0.status == 429 })
            #expect(refusal.retryAfter == 1)
            #expect(refusal.error == "ratelimited")
        }
    }

    @Test("a longer burst allowance and a slower rate give a longer Retry-After")
    func customLimits() async throws {
        let clock = FakeSlackServer.ManualClock()
        try await FakeSlackServer.withServer(limits: .init(perChannelPerSecond: 0.25, perChannelBurst: 2), clock: clock) { fake in
            let client = try client(of: fake)
            let channel = try await client.openDirectMessage(user: TestUser.id)
            for text in ["a", "b"] { _ = try await client.postMessage(SlackPostMessage(channel: channel, text: text)) }
            let limited = await #expect(throws: SlackClient.Error.self) {
                _ = try await client.postMessage(SlackPostMessage(channel: channel, text: "c"))
            }
            #expect(limited?.deliveryError == .rateLimited(retryAfter: 4))
            clock.advance(by: 4)
            _ = try await client.postMessage(SlackPostMessage(channel: channel, text: "c"))
        }
    }

    @Test("no token gets not_authed; an unknown method unknown_method")
    func authAndMethods() async throws {
        try await FakeSlackServer.withServer { fake in
            let transport = try testTransport()
            let anonymous = try await transport.send(
                HTTPRequest(
                    method: "POST",
                    url: fake.baseURL + "/auth.test",
                    headers: [("Content-Type", "application/json; charset=utf-8")],
                    body: Data("{}".utf8)
                )
            )
            #expect(anonymous.status == 200)
            #expect(jsonObject(anonymous.body) == ["ok": false, "error": "not_authed"])
            let unknown = try await transport.send(
                HTTPRequest(method: "POST", url: fake.baseURL + "/chat.meMessage", headers: [("Authorization", "Bearer \(fake.token.value)")])
            )
            #expect(jsonObject(unknown.body) == ["ok": false, "error": "unknown_method"])
        }
    }

    @Test("JSON without charset=utf-8 gets Slack's missing_charset warning")
    func missingCharset() async throws {
        try await FakeSlackServer.withServer { fake in
            let response = try await testTransport().send(
                HTTPRequest(
                    method: "POST",
                    url: fake.baseURL + "/auth.test",
                    headers: [("Authorization", "Bearer \(fake.token.value)"), ("Content-Type", "application/json")],
                    body: Data("{}".utf8)
                )
            )
            #expect(jsonObject(response.body)?["warning"] as? String == "missing_charset")
            #expect(fake.calls().first?.warnings == ["missing_charset"])
        }
    }

    @Test("blocks Slack would refuse get invalid_blocks, and nothing is posted")
    func invalidBlocks() async throws {
        try await FakeSlackServer.withServer { fake in
            let client = try client(of: fake)
            let channel = try await client.openDirectMessage(user: TestUser.id)
            let error = await #expect(throws: SlackClient.Error.self) {
                _ = try await client.call(RawPost(channel: channel, text: "x", blocks: [["type": "carousel"]]))
            }
            #expect(error?.slackError == "invalid_blocks")
            #expect(error?.deliveryError == .permanent(reason: "chat.postMessage: invalid_blocks"))
            #expect(fake.messages(inChannel: channel).isEmpty)
        }
    }

    @Test("posting to a channel never opened is channel_not_found; a bot can't DM itself")
    func unknownChannel() async throws {
        try await FakeSlackServer.withServer { fake in
            let client = try client(of: fake)
            let error = await #expect(throws: SlackClient.Error.self) {
                _ = try await client.postMessage(SlackPostMessage(channel: "D0NOPE0001", text: "x"))
            }
            #expect(error?.slackError == "channel_not_found")
            let selfDM = await #expect(throws: SlackClient.Error.self) {
                _ = try await client.openDirectMessage(user: FakeSlackServer.defaultWorkspace.botUserID)
            }
            #expect(selfDM?.slackError == "cannot_dm_bot")
            fake.deactivate(user: "U0GONE0001")
            let gone = await #expect(throws: SlackClient.Error.self) { _ = try await client.openDirectMessage(user: "U0GONE0001") }
            #expect(gone?.deliveryError == .blocked(reason: "conversations.open: user_disabled"))
        }
    }

    @Test("a submission carries the modal's callback_id, private_metadata and the typed values")
    func submission() async throws {
        try await FakeSlackServer.withServer { fake in
            let view = SlackView(
                title: .plain("Update API key"),
                blocks: [.input(blockID: "api_key", label: .plain("API Key"), element: SlackPlainTextInput(actionID: "value"))],
                submit: .plain("Check key"),
                callbackID: "rebind.key",
                privateMetadata: "a:0123456789abcdef"
            )
            let opened = try await client(of: fake).openView(SlackViewsOpen(triggerID: fake.issueTrigger(user: TestUser.id), view: view))
            let submission = try #require(fake.userSubmits(viewID: opened.id, values: ["api_key": ["value": "vmPUZE6mv9SD5VNH"]]))
            guard case .viewSubmission(let decoded) = try SlackInteraction.decode(formBody: try FakeSlackServer.interactivityBody(submission)) else {
                Issue.record("expected view_submission")
                return
            }
            #expect(decoded.view.id == opened.id)
            #expect(decoded.view.callbackID == "rebind.key")
            #expect(decoded.view.privateMetadata == "a:0123456789abcdef")
            #expect(decoded.view.value(block: "api_key", action: "value") == "vmPUZE6mv9SD5VNH")
            #expect(decoded.user.id == TestUser.id)
            #expect(fake.userSubmits(viewID: "V0NOPE0001", values: [:]) == nil)
        }
    }
}

@Suite("The fake Slack plays the user's side")
struct FakeSlackUserSideTests {
    @Test("a DM the user writes is a signed-ready event_callback that decodes as a message from the user")
    func userWrites() async throws {
        try await FakeSlackServer.withServer { fake in
            let callback = fake.userWrites("vmPUZE6mv9SD5VNH", user: TestUser.id)
            let body = try JSONEncoder().encode(callback)
            guard case .eventCallback(let decoded) = try SlackEventEnvelope.decode(body) else {
                Issue.record("expected event_callback")
                return
            }
            #expect(decoded.event.isDirectMessageFromUser)
            #expect(decoded.event.channel == fake.directChannel(user: TestUser.id))
            #expect(decoded.eventID != fake.userWrites("again", user: TestUser.id).eventID)
        }
    }

    @Test("a slash command carries a trigger that opens a modal once")
    func userTypesCommand() async throws {
        try await FakeSlackServer.withServer { fake in
            let command = fake.userTypesCommand("update", user: TestUser.id)
            #expect(try SlackSlashCommand(formBody: command.form.encoded) == command)
            #expect(command.command == "/rebind")
            let view = SlackView(title: .plain("Update API key"), blocks: [.section(text: .mrkdwn("Which account?"))])
            let opened = try await client(of: fake).openView(SlackViewsOpen(triggerID: command.triggerID, view: view))
            #expect(fake.view(id: opened.id)?.user == TestUser.id)
        }
    }
}
