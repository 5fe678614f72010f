import Foundation
import RebindCore
import RebindSimulator
import RebindSlack
import Testing

@Suite("SlackMessenger sends and edits guidance as Block Kit DMs")
struct SlackMessengerTests {
    /// The guidance as the app builds it for every channel: text and rows of buttons.
    static let guidance = OutgoingMessage(
        text: "⚠️ *Your Binance API key has expired*\nRobot: BTC/USDT Grid &amp; more",
        format: .mrkdwn,
        buttons: [
            [.callback(title: "🔑 Update API key", data: "u:0123456789abcdef")],
            [.url(title: "📖 Help page", url: "https://help.utrading.io/en/exchange/create-api")],
            [.callback(title: "⏰ Remind me later", data: "l:fedcba9876543210")],
        ]
    )
    static let resolved = OutgoingMessage(text: "✅ *Resolved*: your robots are trading again.", format: .mrkdwn)

    @Test("send opens the DM once, posts the text in a section and the buttons in one actions block, and returns the ts")
    func send() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let messenger = SlackMessenger(client: try client(of: fake))
            let ts = try await messenger.send(Self.guidance, to: TestUser.address)
            let channel = try #require(fake.directChannel(user: TestUser.id))
            let message = try #require(fake.messages(inChannel: channel).first)
            #expect(message.ts == ts)
            #expect(message.text == Self.guidance.text)
            #expect(message.sectionTexts == [Self.guidance.text])
            #expect(message.blocks.map { $0["type"]?.string } == ["section", "actions"])
            #expect(message.blocks.first?["text"]?["type"]?.string == "mrkdwn")

            let buttons = message.buttons
            #expect(buttons.map { $0["action_id"]?.string } == ["rebind.update", "rebind.link", "rebind.later"])
            #expect(buttons.map { $0["text"]?["text"]?.string } == ["🔑 Update API key", "📖 Help page", "⏰ Remind me later"])
            #expect(buttons[0]["value"]?.string == "u:0123456789abcdef")
            #expect(buttons[0]["style"]?.string == "primary")
            #expect(buttons[1]["url"]?.string == "https://help.utrading.io/en/exchange/create-api")
            #expect(buttons[1]["value"] == nil)
            #expect(buttons[2]["value"]?.string == "l:fedcba9876543210")

            _ = try await messenger.send(Self.resolved, to: TestUser.address)
            #expect(fake.calls(method: "conversations.open").count == 1)
            #expect(messenger.directChannels.channel(for: TestUser.address) == channel)
        }
    }

    @Test("edit updates the message by its ts; a message without buttons loses its actions block")
    func edit() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let messenger = SlackMessenger(client: try client(of: fake))
            let ts = try await messenger.send(Self.guidance, to: TestUser.address)
            try await messenger.edit(messageID: ts, in: TestUser.address, to: Self.resolved)
            let channel = try #require(fake.directChannel(user: TestUser.id))
            let message = try #require(fake.messages(inChannel: channel).first)
            #expect(message.sectionTexts == [Self.resolved.text])
            #expect(message.buttons.isEmpty)
            #expect(message.history.count == 1)
            let update = try #require(fake.calls(method: "chat.update").first)
            #expect(update["ts"]?.string == ts)
            #expect(update["channel"]?.string == channel)
        }
    }

    @Test("edit works with a fresh messenger: the DM is opened again, not remembered from the send")
    func editAfterRestart() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let ts = try await SlackMessenger(client: try client(of: fake)).send(Self.guidance, to: TestUser.address)
            try await SlackMessenger(client: try client(of: fake)).edit(messageID: ts, in: TestUser.address, to: Self.resolved)
            #expect(fake.calls(method: "chat.update").first?.succeeded == true)
        }
    }

    @Test("editing a message Slack doesn't have is permanent; a malformed id is refused without a call")
    func editUnknown() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let messenger = SlackMessenger(client: try client(of: fake))
            let missing = await #expect(throws: DeliveryError.self) {
                try await messenger.edit(messageID: "1700000000.000999", in: TestUser.address, to: Self.resolved)
            }
            #expect(missing == .permanent(reason: "chat.update: message_not_found"))
            let calls = fake.calls().count
            let malformed = await #expect(throws: DeliveryError.self) {
                try await messenger.edit(messageID: "42", in: TestUser.address, to: Self.resolved)
            }
            guard case .permanent? = malformed else {
                Issue.record("expected permanent, got \(String(describing: malformed))")
                return
            }
            #expect(fake.calls().count == calls)
        }
    }

    @Test("delete is permanent without a call: Slack doesn't let a bot delete the user's message")
    func delete() async throws {
        try await FakeSlackServer.withServer { fake in
            let messenger = SlackMessenger(client: try client(of: fake))
            let error = await #expect(throws: DeliveryError.self) {
                try await messenger.delete(messageID: "1700000000.000100", in: TestUser.address)
            }
            guard case .permanent? = error else {
                Issue.record("expected permanent, got \(String(describing: error))")
                return
            }
            #expect(fake.calls().isEmpty)
        }
    }

    @Test("Telegram HTML, a Telegram address, a malformed Slack address and empty text are refused without a call")
    func refusals() async throws {
        try await FakeSlackServer.withServer { fake in
            let messenger = SlackMessenger(client: try client(of: fake))
            let cases: [(OutgoingMessage, ChatAddress)] = [
                (OutgoingMessage(text: "<b>Hi</b>", format: .html), TestUser.address),
                (Self.guidance, ChatAddress(channel: .telegram, id: "42")),
                (Self.guidance, ChatAddress(channel: .slack, id: "U0TRADER01")),
                (OutgoingMessage(text: "  \n", format: .mrkdwn), TestUser.address),
            ]
            for (message, address) in cases {
                let error = await #expect(throws: DeliveryError.self) { _ = try await messenger.send(message, to: address) }
                guard case .permanent? = error else {
                    Issue.record("expected permanent, got \(String(describing: error))")
                    continue
                }
            }
            #expect(fake.calls().isEmpty)
        }
    }

    @Test("plain text goes in a plain_text section, and the fallback text is not parsed as mrkdwn")
    func plainText() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            _ = try await SlackMessenger(client: try client(of: fake)).send(OutgoingMessage(text: "a <b> & c", format: .plain), to: TestUser.address)
            let call = try #require(fake.calls(method: "chat.postMessage").first)
            #expect(call["blocks"]?[0]?["text"]?["type"]?.string == "plain_text")
            #expect(call["blocks"]?[0]?["text"]?["text"]?.string == "a <b> & c")
            #expect(call["mrkdwn"]?.bool == false)
        }
    }

    @Test("text longer than a section is split between lines into several sections")
    func longText() async throws {
        let line = String(repeating: "x", count: 999)
        let text = Array(repeating: line, count: 7).joined(separator: "\n")
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            _ = try await SlackMessenger(client: try client(of: fake)).send(OutgoingMessage(text: text, format: .mrkdwn), to: TestUser.address)
            let channel = try #require(fake.directChannel(user: TestUser.id))
            let sections = try #require(fake.messages(inChannel: channel).first).sectionTexts
            #expect(sections.count == 3)
            #expect(sections.allSatisfy { $0.count <= 3_000 })
            #expect(sections.joined(separator: "\n") == text)
        }
    }

    @Test("a button press carries back the same callback data Telegram would get; a link press carries none")
    func pressRoundTrip() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let ts = try await SlackMessenger(client: try client(of: fake)).send(Self.guidance, to: TestUser.address)
            let channel = try #require(fake.directChannel(user: TestUser.id))
            let press = try #require(fake.userPresses(actionID: "rebind.update", inMessage: ts, channel: channel))
            guard case .blockActions(let decoded) = try SlackInteraction.decode(formBody: try FakeSlackServer.interactivityBody(press)) else {
                Issue.record("expected block_actions")
                return
            }
            #expect(decoded.user.id == TestUser.id)
            #expect(decoded.teamID == FakeSlackServer.defaultWorkspace.teamID)
            #expect(decoded.container?.messageTS == ts)
            #expect(decoded.actions.first.flatMap(SlackMessenger.callbackData(of:)) == "u:0123456789abcdef")
            let link = try #require(fake.userPresses(actionID: "rebind.link", inMessage: ts, channel: channel))
            #expect(link.actions.first.flatMap(SlackMessenger.callbackData(of:)) == nil)
        }
    }

    @Test("a DM Slack says is gone is forgotten, and opened afresh for the next message")
    func forgetsGoneChannel() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let messenger = SlackMessenger(client: try client(of: fake))
            _ = try await messenger.send(Self.guidance, to: TestUser.address)
            fake.inject(.channelNotFound, method: "chat.postMessage")
            await #expect(throws: DeliveryError.blocked(reason: "chat.postMessage: channel_not_found")) {
                _ = try await messenger.send(Self.guidance, to: TestUser.address)
            }
            #expect(messenger.directChannels.channel(for: TestUser.address) == nil)
            _ = try await messenger.send(Self.guidance, to: TestUser.address)
            #expect(fake.calls(method: "conversations.open").count == 2)
        }
    }

    @Test("each workspace's messages go with that workspace's token")
    func perWorkspaceClients() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let code = fake.authorize(teamID: "T0SECOND01", teamName: "Second Desk", installer: "U0ADMIN001")
            let access = try await SlackOAuth(
                baseURL: fake.baseURL,
                clientID: fake.clientID,
                clientSecret: fake.clientSecret,
                transport: try testTransport()
            )
            .access(code: code)
            let first = try client(of: fake)
            let second = try client(of: fake, token: access.accessToken)
            let messenger = SlackMessenger { teamID throws(DeliveryError) in
                switch teamID {
                case FakeSlackServer.defaultWorkspace.teamID: return first
                case "T0SECOND01": return second
                default: throw .permanent(reason: "Rebind is not installed in \(teamID)")
                }
            }
            _ = try await messenger.send(Self.guidance, to: TestUser.address)
            _ = try await messenger.send(Self.guidance, to: .slack(teamID: "T0SECOND01", userID: "U0OTHER001"))
            #expect(fake.directChannel(user: "U0OTHER001", teamID: "T0SECOND01") != nil)
            #expect(fake.directChannel(user: "U0OTHER001") == nil)
            await #expect(throws: DeliveryError.permanent(reason: "Rebind is not installed in T0NOWHERE1")) {
                _ = try await messenger.send(Self.guidance, to: .slack(teamID: "T0NOWHERE1", userID: "U0OTHER001"))
            }
        }
    }

    @Test("Slack addresses are TEAM/USER and read back")
    func addresses() {
        let address = ChatAddress.slack(teamID: "T0001", userID: "U0001")
        #expect(address.description == "slack:T0001/U0001")
        #expect(address.slackUser?.teamID == "T0001")
        #expect(address.slackUser?.userID == "U0001")
        #expect(ChatAddress(channel: .telegram, id: "T0001/U0001").slackUser == nil)
        #expect(ChatAddress(channel: .slack, id: "T0001/").slackUser == nil)
    }
}
