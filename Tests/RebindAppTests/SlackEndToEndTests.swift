import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindCrypto
import RebindSimulator
import RebindSlack
import Testing

/// The whole recovery in Slack, through real HTTP: the platform's signed event, the guidance
/// as a Block Kit DM, the "Update API key" button, the key form as a modal checked field by
/// field, the exchange check, the signed binding update, and the DM edited to resolved.
@Suite("Slack end to end")
struct SlackEndToEndTests {
    struct Case: Sendable, CustomStringConvertible {
        var exchange: String
        var account: String
        var apiKey: String
        var secret: String
        var passphrase: String?
        /// A secret the form's format check refuses.
        var badSecret: String

        var description: String { exchange }
    }

    static let cases = [
        Case(
            exchange: "binance",
            account: "acc_42",
            apiKey: FakeBinanceServer.apiKey,
            secret: FakeBinanceServer.secret.value,
            passphrase: nil,
            badSecret: "too-short-secret"
        ),
        Case(
            exchange: "okx",
            account: "acc_77",
            apiKey: FakeOKXServer.apiKey,
            secret: FakeOKXServer.secret.value,
            passphrase: FakeOKXServer.passphrase.value,
            badSecret: "not-hex-and-not-32"
        ),
    ]

    @Test(
        "robot.paused → one Block Kit DM → button → modal → field error → corrected → signed binding update → robot.resumed → DM resolved",
        arguments: cases
    )
    func recovery(_ key: Case) async throws {
        try await SlackWorld.with { world, client in
            // The platform names the user's Slack account in its event.
            #expect(try await world.sendEvent(SlackWorld.event(account: key.account, exchange: key.exchange), id: "msg_p1", via: client) == .accepted)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            #expect(world.slack.calls(method: "conversations.open").count == 1)
            let guidance = try #require(world.botMessages().only)
            let shown = SlackWorld.shown(guidance)
            #expect(shown.contains("Grid rb_7"))
            #expect(shown.contains("Pause: Invalid API key operation permission"))
            #expect(shown.contains(key.exchange == "okx" ? "OKX" : "Binance"))
            // Block Kit, with the primary "Update API key" button carrying a reference, no secret.
            #expect(guidance.blocks.contains { $0["type"]?.string == "section" })
            let update = try #require(guidance.buttons.first { $0["action_id"]?.string == "rebind.update" })
            #expect(update["text"]?["text"]?.string?.hasSuffix("Update API key") == true)
            #expect(update["style"]?.string == "primary")
            #expect(update["value"]?.string?.hasPrefix("u:") == true)

            // The button opens the key form at once, within the trigger's 3 seconds.
            let pressed = try await world.userPressesUpdate(on: guidance, via: client)
            #expect(pressed.status == .ok)
            let opened = try #require(world.slack.calls(method: "views.open").only)
            #expect(opened.succeeded)
            let view = try #require(world.slack.views().only)
            #expect(view.callbackID == "rebind.key")
            #expect(view.title == "Update API key")
            let blocks = view.inputs.map(\.blockID)
            #expect(blocks == (key.passphrase == nil ? ["api_key", "api_secret"] : ["api_key", "api_secret", "passphrase"]))
            // The private metadata names the account, nothing secret.
            let metadata = try #require(view.privateMetadata)
            #expect(metadata.contains(key.account))

            // A bad secret: the form stays open with an error under that field only.
            var values = ["api_key": key.apiKey, "api_secret": key.badSecret]
            if let passphrase = key.passphrase { values["passphrase"] = passphrase }
            let refused = try await world.userSubmits(viewID: view.id, values, via: client)
            #expect(refused["response_action"] as? String == "errors")
            let errors = try #require(refused["errors"] as? [String: String])
            #expect(Array(errors.keys) == ["api_secret"])
            #expect(errors["api_secret"]?.contains("secret") == true)
            #expect(errors["api_secret"]?.contains(key.badSecret) == false)
            #expect(key.exchange == "binance" ? world.binance.requests().isEmpty : world.okx.requests().isEmpty)

            // Corrected: the form closes; the exchange is asked; the platform gets the key.
            values["api_secret"] = key.secret
            let replies = try await world.expectingReplies(3) {
                let accepted = try await world.userSubmits(viewID: view.id, values, via: client)
                #expect(accepted["response_action"] as? String == "clear")
            }
            let texts = replies.map(SlackWorld.shown)
            #expect(texts.count == 3)
            #expect(texts.first?.contains("Checking the key") == true)
            #expect(texts.contains { $0.contains("works for trading") })
            #expect(texts.last?.contains("has the new key") == true)
            // Only the key's last characters are ever shown.
            #expect(texts.contains { $0.contains(String(key.apiKey.suffix(4))) })

            let platform = try #require(world.platform)
            let delivery = try #require(platform.deliveries().only)
            #expect(platform.rejections().isEmpty)
            // Signed with the platform's secret, over exactly these bytes.
            let timestamp = try #require(Double(delivery.webhookTimestamp))
            try StandardWebhooks(secrets: [WebhookSecret(SlackWorld.platformSecret, variable: "T")]).verify(
                id: delivery.webhookID,
                timestamp: delivery.webhookTimestamp,
                signature: delivery.webhookSignature,
                body: delivery.rawBody,
                now: Date(timeIntervalSince1970: timestamp)
            )
            let applied = delivery.update
            #expect(applied.type == "api_binding.update_requested")
            #expect(applied.userID == "u_1001")
            #expect(applied.accountID == key.account)
            #expect(applied.exchange == key.exchange)
            #expect(applied.robotIDs == ["rb_7"])
            #expect(applied.credentials.apiKey == key.apiKey)
            #expect(applied.credentials.apiSecret == key.secret)
            #expect(applied.credentials.passphrase == key.passphrase)
            #expect(applied.verification.canTrade && !applied.verification.canWithdraw)

            // The platform resumes the robot: the guidance DM is edited to resolved, no new message.
            let before = world.botMessages().count
            try await world.sendEvent(
                SlackWorld.event(type: "robot.resumed", account: key.account, exchange: key.exchange),
                id: "msg_r1",
                via: client
            )
            #expect(await world.waitUntil { world.slack.calls(method: "chat.update").contains(where: \.succeeded) })
            let edited = try #require(world.botMessages().first { $0.ts == guidance.ts })
            #expect(SlackWorld.shown(edited).contains("Resolved"))
            #expect(edited.history.first.map { $0.text } == guidance.text)
            #expect(edited.buttons.isEmpty)
            #expect(world.slack.calls(method: "chat.update").allSatisfy { $0["ts"]?.string == guidance.ts })

            try await world.settle(via: client)
            #expect(world.botMessages().count == before + 1)
            #expect(try await world.sqlite.conversation(chat: SlackWorld.chat()) == nil)
            // Slack refused nothing (the last reply's call may still be on its way back).
            #expect(world.slack.calls().filter { $0.error != nil || ($0.status ?? 0) >= 400 }.isEmpty, "\(world.slack.calls())")
        }
    }

    @Test("Remind me later is answered in the DM; once resolved, the same button says there is nothing to remind of")
    func remindLater() async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(), id: "msg_l1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let guidance = try #require(world.botMessages().only)
            let press = { () throws -> SlackBlockActions in
                try #require(world.slack.userPresses(actionID: "rebind.later", inMessage: guidance.ts, channel: guidance.channel))
            }
            let snoozed = try await world.expectingReplies(1) {
                let response = try await world.postInteraction(try press(), via: client)
                #expect(response.status == .ok)
            }
            #expect(snoozed.only.map(SlackWorld.shown)?.contains("remind you in an hour") == true)
            #expect(world.slack.calls(method: "views.open").isEmpty)

            // Pressed on a message already resolved (a press Slack delivered late).
            let late = try press()
            try await world.sendEvent(SlackWorld.event(type: "robot.resumed"), id: "msg_l2", via: client)
            #expect(await world.waitUntil { world.slack.calls(method: "chat.update").contains(where: \.succeeded) })
            let answered = try await world.expectingReplies(1) {
                let response = try await world.postInteraction(late, via: client)
                #expect(response.status == .ok)
            }
            #expect(answered.only.map(SlackWorld.shown)?.contains("resolved already") == true)
        }
    }

    @Test(
        "When Slack does not open the form (5xx, invalid_auth), the user is told to try again and the next press works",
        arguments: [
            FakeSlackServer.Fault.serverError(status: 503), .error("invalid_auth"),
        ]
    )
    func formNotOpened(_ fault: FakeSlackServer.Fault) async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(), id: "msg_f1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let guidance = try #require(world.botMessages().only)
            world.slack.inject(fault, times: 1, method: "views.open")
            let told = try await world.expectingReplies(1) {
                let response = try await world.userPressesUpdate(on: guidance, via: client)
                #expect(response.status == .ok)
            }
            #expect(told.only.map(SlackWorld.shown)?.contains("couldn't open the key form") == true)
            #expect(world.slack.views().isEmpty)
            #expect(try await world.userPressesUpdate(on: guidance, via: client).status == .ok)
            #expect(world.slack.views().count == 1)
        }
    }

    @Test("/rebind update opens the form for the user's only account; a closed form keeps nothing")
    func updateCommand() async throws {
        try await SlackWorld.with { world, client in
            try await world.sendEvent(SlackWorld.event(account: "acc_77", exchange: "okx"), id: "msg_u1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let command = world.slack.userTypesCommand("update", user: SlackWorld.userID)
            let response = try await world.postCommand(command, via: client)
            #expect(response.status == .ok)
            let view = try #require(world.slack.views().only)
            #expect(view.inputs.map(\.blockID) == ["api_key", "api_secret", "passphrase"])
            #expect(world.slack.calls(method: "views.open").only?["trigger_id"]?.string == command.triggerID)
            try await world.settle(via: client)
            #expect(try await world.sqlite.conversation(chat: SlackWorld.chat()) == nil)
            #expect(world.platform?.deliveries().isEmpty == true)
        }
    }
}
