import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import RebindSlack
import RebindTelegram
import Testing

/// A user the platform knows on both Telegram and Slack: the incident reaches both, and the
/// key updated on either channel resolves it on both.
@Suite("Slack and Telegram together")
struct SlackAndTelegramTests {
    static let chatID = ChatWorld.chatID

    static var options: SlackWorld.Options {
        var options = SlackWorld.Options()
        options.telegram = true
        return options
    }

    /// The incident, delivered to both; returns the Telegram message and the Slack DM.
    static func incident(
        _ world: SlackWorld,
        _ client: some TestClientProtocol
    ) async throws -> (
        FakeTelegramServer.ChatMessage, FakeSlackServer.Message
    ) {
        let telegram = try #require(world.telegram)
        #expect(try await world.sendEvent(SlackWorld.event(chatID: chatID), id: "msg_both_1", via: client) == .accepted)
        _ = await telegram.waitForCalls(method: "sendMessage", count: 1)
        #expect(await world.waitUntil { world.botMessages().count == 1 })
        let onTelegram = try #require(telegram.messages(inChat: chatID).filter(\.fromBot).only)
        let onSlack = try #require(world.botMessages().only)
        #expect(onTelegram.text.contains("Grid rb_7"))
        #expect(onTelegram.callbackData.contains { $0.hasPrefix("u:") })
        #expect(SlackWorld.shown(onSlack).contains("Grid rb_7"))
        #expect(onSlack.buttons.contains { $0["action_id"]?.string == "rebind.update" })
        return (onTelegram, onSlack)
    }

    /// The platform resumes the robot; both messages are edited to resolved, nothing new is sent.
    static func resumeAndExpectResolved(
        _ world: SlackWorld,
        _ client: some TestClientProtocol,
        telegramMessage: FakeTelegramServer.ChatMessage,
        slackMessage: FakeSlackServer.Message
    ) async throws {
        let telegram = try #require(world.telegram)
        let sentOnTelegram = telegram.calls(method: "sendMessage").count
        let sentOnSlack = world.slack.calls(method: "chat.postMessage").count
        try await world.sendEvent(SlackWorld.event(type: "robot.resumed", chatID: chatID), id: "msg_both_2", via: client)
        _ = await telegram.waitForCalls(method: "editMessageText", count: 1)
        #expect(await world.waitUntil { world.slack.calls(method: "chat.update").contains(where: \.succeeded) })

        let editedOnTelegram = try #require(telegram.messages(inChat: chatID).first { $0.messageID == telegramMessage.messageID })
        #expect(editedOnTelegram.text.contains("Resolved"))
        #expect(editedOnTelegram.callbackData.isEmpty)
        let editedOnSlack = try #require(world.botMessages().first { $0.ts == slackMessage.ts })
        #expect(SlackWorld.shown(editedOnSlack).contains("Resolved"))
        #expect(editedOnSlack.buttons.isEmpty)
        #expect(telegram.calls(method: "sendMessage").count == sentOnTelegram)
        #expect(world.slack.calls(method: "chat.postMessage").count == sentOnSlack)
    }

    @Test("The incident reaches both; the key updated in the Slack form resolves it on Telegram and on Slack")
    func finishedOnSlack() async throws {
        try await SlackWorld.with(Self.options) { world, client in
            let telegram = try #require(world.telegram)
            let (telegramMessage, slackMessage) = try await Self.incident(world, client)

            #expect(try await world.userPressesUpdate(on: slackMessage, via: client).status == .ok)
            let view = try #require(world.slack.views().only)
            let replies = try await world.expectingReplies(3) {
                let answer = try await world.userSubmits(
                    viewID: view.id,
                    ["api_key": FakeBinanceServer.apiKey, "api_secret": FakeBinanceServer.secret.value],
                    via: client
                )
                #expect(answer["response_action"] as? String == "clear")
            }
            #expect(replies.last.map(SlackWorld.shown)?.contains("has the new key") == true)
            let applied = try #require(world.platform?.appliedUpdates().only)
            #expect(applied.credentials.apiKey == FakeBinanceServer.apiKey)
            #expect(applied.credentials.apiSecret == FakeBinanceServer.secret.value)
            // The key flow stayed on Slack: Telegram heard nothing of it.
            #expect(telegram.messages(inChat: Self.chatID).count == 1)

            try await Self.resumeAndExpectResolved(world, client, telegramMessage: telegramMessage, slackMessage: slackMessage)
        }
    }

    @Test("The incident reaches both; the key updated in the Telegram chat resolves it on Slack too")
    func finishedOnTelegram() async throws {
        try await SlackWorld.with(Self.options) { world, client in
            let telegram = try #require(world.telegram)
            let (telegramMessage, slackMessage) = try await Self.incident(world, client)

            for (text, replies) in [("/update", 1), (FakeBinanceServer.apiKey, 1), (FakeBinanceServer.secret.value, 3)] {
                let before = telegram.calls(method: "sendMessage").count
                #expect(try await Self.post(telegram.userSends(chatID: Self.chatID, text: text), via: client) == .ok)
                #expect(await telegram.waitForCalls(method: "sendMessage", count: before + replies).count == before + replies)
            }
            #expect(telegram.messages(inChat: Self.chatID).filter(\.fromBot).last?.text.contains("has the new key") == true)
            #expect(world.platform?.appliedUpdates().only?.credentials.apiSecret == FakeBinanceServer.secret.value)
            // The key flow stayed on Telegram: Slack heard nothing of it.
            #expect(world.botMessages().count == 1)

            try await Self.resumeAndExpectResolved(world, client, telegramMessage: telegramMessage, slackMessage: slackMessage)
        }
    }

    /// A Telegram update posted to the webhook, as Telegram does.
    static func post(_ update: TelegramUpdate, via client: some TestClientProtocol) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/v1/telegram/webhook",
            method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!: ChatWorld.webhookSecret],
            body: ByteBuffer(data: try JSONEncoder().encode(update))
        ).status
    }

    @Test(
        "One channel failing does not hold back the other: Telegram refusing for good still lets Slack get the guidance; a Telegram outage delays only Telegram"
    )
    func oneChannelFailing() async throws {
        // Telegram (the user's first chat) refuses for good: Slack still gets it, Telegram's dead letter is counted.
        try await SlackWorld.with(Self.options) { world, client in
            let telegram = try #require(world.telegram)
            telegram.inject(.refuse(errorCode: 400, description: "Bad Request: chat not found"), times: nil, method: "sendMessage")
            #expect(try await world.sendEvent(SlackWorld.event(chatID: Self.chatID), id: "msg_split_1", via: client) == .accepted)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            #expect(SlackWorld.shown(try #require(world.botMessages().only)).contains("Grid rb_7"))
            #expect(telegram.messages(inChat: Self.chatID).filter(\.fromBot).isEmpty)
        }
        // Telegram down for a moment: Slack gets it without waiting, Telegram once it is back, neither twice.
        try await SlackWorld.with(Self.options) { world, client in
            let telegram = try #require(world.telegram)
            telegram.inject(.serverError(status: 503), times: 2, method: "sendMessage")
            #expect(try await world.sendEvent(SlackWorld.event(chatID: Self.chatID), id: "msg_split_2", via: client) == .accepted)
            _ = await telegram.waitForCalls(method: "sendMessage", count: 3)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            #expect(telegram.messages(inChat: Self.chatID).filter(\.fromBot).count == 1)
            #expect(world.slack.calls(method: "chat.postMessage").count == 1)
        }
    }
}
