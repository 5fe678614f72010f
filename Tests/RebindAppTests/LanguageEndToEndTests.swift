import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// Users read Rebind in their language (DESIGN §4), on both channels and in every message:
/// guidance, the key flow, the resolution and command answers.
@Suite("Languages, end to end")
struct LanguageEndToEndTests {
    @Test("An event with locale zh-CN: guidance, key flow and resolution in Chinese on Telegram")
    func telegramChinese() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            #expect(try await world.sendEvent(ChatWorld.event(locale: "zh-CN"), id: "msg_1", via: client) == .accepted)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let guidance = try #require(world.botMessages().only)
            #expect(guidance.text.contains("币安"), "\(guidance.text)")
            #expect(guidance.text.contains("首页 → API 绑定 → 编辑"))
            let buttons = (guidance.current.replyMarkup?.inlineKeyboard ?? []).flatMap { $0 }.map(\.text)
            #expect(buttons.contains("🔑 更新 API Key"), "\(buttons)")
            #expect(!buttons.contains { $0.contains("Update API key") })

            let update = try #require(guidance.callbackData.first { $0.hasPrefix("u:") })
            let ask = try #require(try await world.userTaps(update, on: guidance.messageID, replies: 1, via: client).only)
            #expect(ask.text.contains("API Key") && ask.text.contains("币安"), "\(ask.text)")
            let secret = try #require(try await world.userSends(FakeBinanceServer.apiKey, replies: 1, via: client).only)
            #expect(secret.text.contains("Secret Key（密钥）"), "\(secret.text)")
            let checked = try await world.userSends(FakeBinanceServer.secret.value, replies: 3, via: client).map(\.text)
            #expect(checked.count == 3)
            #expect(checked.first?.contains("正在向币安验证") == true, "\(checked)")
            #expect(checked.last?.contains("已收到新的 API Key") == true, "\(checked)")

            #expect(try await world.sendEvent(ChatWorld.event(type: "robot.resumed", locale: "zh-CN"), id: "msg_2", via: client) == .accepted)
            _ = await world.telegram.waitForCalls(method: "editMessageText", count: 1)
            let resolved = try #require(world.botMessages().first { $0.messageID == guidance.messageID })
            #expect(resolved.text.contains("问题已解决"), "\(resolved.text)")
        }
        try await world.shutdown()
    }

    @Test("A Telegram user whose app is in Chinese (language_code zh-hans), with no event locale, gets /help in Chinese")
    func telegramLanguageCode() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            let help = try #require(try await world.userSends("/help", languageCode: "zh-hans", replies: 1, via: client).only)
            #expect(help.text.contains("我是 Rebind"), "\(help.text)")
            #expect(help.text.contains("/keys") && help.text.contains("/language"))
            // The same user's app in English: English.
            let english = try #require(try await world.userSends("/help", languageCode: "en", replies: 1, via: client).only)
            #expect(english.text.contains("I'm Rebind"), "\(english.text)")
        }
        try await world.shutdown()
    }

    @Test("/language overrides the event's locale, for replies and for the next guidance; an unknown tag is refused")
    func languageCommand() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            #expect(try await world.sendEvent(ChatWorld.event(locale: "zh-CN"), id: "msg_1", via: client) == .accepted)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 1)
            let now = try #require(try await world.userSends("/language", replies: 1, via: client).only)
            #expect(now.text.contains("简体中文") && now.text.contains("English") && now.text.contains("/language"), "\(now.text)")

            let unknown = try #require(try await world.userSends("/language tlh", replies: 1, via: client).only)
            #expect(unknown.text.contains("tlh"), "\(unknown.text)")
            let set = try #require(try await world.userSends("/language en", replies: 1, via: client).only)
            #expect(set.text.contains("English"), "\(set.text)")
            let help = try #require(try await world.userSends("/help", replies: 1, via: client).only)
            #expect(help.text.contains("I'm Rebind"), "\(help.text)")

            // The next incident's guidance follows the choice, not the event's locale.
            let second = ChatWorld.event(account: "acc_43", label: "Second", robot: "rb_9", locale: "zh-CN")
            #expect(try await world.sendEvent(second, id: "msg_2", via: client) == .accepted)
            _ = await world.telegram.waitForCalls(method: "sendMessage", count: 6)
            let guidance = try #require(world.botMessages().last)
            #expect(guidance.text.contains("Grid rb_9") && guidance.text.contains("Binance") && !guidance.text.contains("币安"), "\(guidance.text)")
        }
        try await world.shutdown()
    }

    @Test("An event with locale zh-CN: guidance, key form and resolution in Chinese on Slack")
    func slackChinese() async throws {
        try await SlackWorld.with { world, client in
            #expect(try await world.sendEvent(SlackWorld.event(locale: "zh-CN"), id: "msg_p1", via: client) == .accepted)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            let guidance = try #require(world.botMessages().only)
            #expect(SlackWorld.shown(guidance).contains("币安"), "\(SlackWorld.shown(guidance))")
            let update = try #require(guidance.buttons.first { $0["action_id"]?.string == "rebind.update" })
            #expect(update["text"]?["text"]?.string?.contains("更新 API Key") == true)

            #expect(try await world.userPressesUpdate(on: guidance, via: client).status == .ok)
            let view = try #require(world.slack.views().only)
            #expect(view.title == "更新 API Key", "\(view.title)")

            // A field error in the form speaks Chinese too.
            let refused = try await world.userSubmits(viewID: view.id, ["api_key": FakeBinanceServer.apiKey, "api_secret": "short"], via: client)
            let errors = try #require(refused["errors"] as? [String: String])
            #expect(errors["api_secret"]?.contains("64") == true && errors["api_secret"]?.contains("Secret Key") == true, "\(errors)")

            let replies = try await world.expectingReplies(3) {
                _ = try await world.userSubmits(
                    viewID: view.id,
                    ["api_key": FakeBinanceServer.apiKey, "api_secret": FakeBinanceServer.secret.value],
                    via: client
                )
            }
            let texts = replies.map(SlackWorld.shown)
            #expect(texts.first?.contains("正在向币安验证") == true, "\(texts)")
            #expect(texts.last?.contains("已收到新的 API Key") == true, "\(texts)")

            try await world.sendEvent(SlackWorld.event(type: "robot.resumed", locale: "zh-CN"), id: "msg_r1", via: client)
            #expect(await world.waitUntil { world.slack.calls(method: "chat.update").contains(where: \.succeeded) })
            let edited = try #require(world.botMessages().first { $0.ts == guidance.ts })
            #expect(SlackWorld.shown(edited).contains("问题已解决"), "\(SlackWorld.shown(edited))")
        }
    }
}

@Suite("Telegram command menu")
struct TelegramCommandMenuTests {
    @Test("At start the bot's command menu is set in each language, the default for everyone else")
    func menus() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { _ in
            _ = await world.telegram.waitForCalls(method: "setMyCommands", count: 3)
            let english = try #require(world.telegram.commands())
            #expect(english.map(\.command) == ["update", "keys", "language", "unlink", "cancel", "help"])
            #expect(english.first?.description == "Replace an account's API key")
            #expect(world.telegram.commands(languageCode: "en")?.map(\.description) == english.map(\.description))
            let chinese = try #require(world.telegram.commands(languageCode: "zh"))
            #expect(chinese.map(\.command) == english.map(\.command))
            #expect(chinese.first?.description == "更换账户的 API Key")
        }
        try await world.shutdown()
    }
}

@Suite("Slack user's language")
struct SlackLanguageTests {
    @Test("A Slack user whose Slack is in Chinese and who has no event locale gets answers in Chinese; asked once")
    func usersInfo() async throws {
        try await SlackWorld.with { world, client in
            world.slack.setLocale("zh-CN", user: SlackWorld.userID)
            let help = try #require(try await world.userTypes("help", replies: 1, via: client).messages.only)
            #expect(SlackWorld.shown(help).contains("我是 Rebind"), "\(SlackWorld.shown(help))")
            try await world.userTypes("help", replies: 1, via: client)
            let asked = world.slack.calls(method: "users.info")
            #expect(asked.count == 1)
            // Slack reads this method's arguments from a form only.
            #expect(asked.first?.contentType?.hasPrefix("application/x-www-form-urlencoded") == true)
        }
    }

    @Test("A workspace installed before users:read was asked for: answers in the default language, nothing fails")
    func missingScope() async throws {
        try await SlackWorld.with { world, client in
            world.slack.setLocale("zh-CN", user: SlackWorld.userID)
            world.slack.withhold(scope: "users:read")
            let help = try #require(try await world.userTypes("help", replies: 1, via: client).messages.only)
            #expect(SlackWorld.shown(help).contains("I'm Rebind"), "\(SlackWorld.shown(help))")
            try await world.userTypes("help", replies: 1, via: client)
            #expect(world.slack.calls(method: "users.info").count == 1)
        }
    }
}
