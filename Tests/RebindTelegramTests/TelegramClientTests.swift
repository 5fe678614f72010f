import Foundation
import RebindCore
import RebindSimulator
import RebindTelegram
import Testing

@Suite("TelegramClient against the fake Bot API")
struct TelegramClientTests {
    static let chat: Int64 = 424_242

    @Test("sendMessage posts JSON to /bot<token>/sendMessage and returns the stored message")
    func sendMessage() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let sent = try await client.sendMessage(TelegramSendMessage(chatID: Self.chat, text: "<b>Robot paused</b> &amp; waiting"))
            #expect(sent.messageID == 1)
            #expect(sent.chat.id == Self.chat)
            #expect(sent.text == "Robot paused & waiting")
            #expect(sent.from?.isBot == true)

            let request = try #require(fake.requests().last)
            #expect(request.method == "POST")
            #expect(request.path == "/bot\(fake.token.value)/sendMessage")
            #expect(request.header("Content-Type") == "application/json")
            let messages = fake.messages(inChat: Self.chat)
            #expect(messages.count == 1)
            #expect(messages.first?.sentText == "<b>Robot paused</b> &amp; waiting")
            #expect(messages.first?.linkPreviewDisabled == true)
        }
    }

    @Test("editMessageText replaces the text and buttons and keeps the old version in the history")
    func editMessageText() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let keyboard = TelegramInlineKeyboardMarkup(inlineKeyboard: [[.callback("Update API key", data: "u:1")]])
            let sent = try await client.sendMessage(TelegramSendMessage(chatID: Self.chat, text: "Paused", replyMarkup: keyboard))
            let edited = try await client.editMessageText(
                TelegramEditMessageText(chatID: Self.chat, messageID: sent.messageID, text: "<i>Resolved</i>")
            )
            #expect(edited?.text == "Resolved")
            #expect(edited?.editDate != nil)
            let message = try #require(fake.messages(inChat: Self.chat).first)
            #expect(message.text == "Resolved")
            #expect(message.replyMarkup == nil)
            #expect(message.history.map(\.text) == ["Paused"])
            #expect(message.history.first?.replyMarkup == keyboard)
        }
    }

    @Test("an edit to what the message already says is success, not an error")
    func editNotModified() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let sent = try await client.sendMessage(TelegramSendMessage(chatID: Self.chat, text: "Same"))
            let edited = try await client.editMessageText(TelegramEditMessageText(chatID: Self.chat, messageID: sent.messageID, text: "Same"))
            #expect(edited == nil)
            let edit = try #require(fake.calls(method: "editMessageText").first)
            #expect(edit.status == 400)
            #expect(edit.errorDescription?.contains("message is not modified") == true)
        }
    }

    @Test("deleteMessage removes the user's message from the chat")
    func deleteMessage() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let update = fake.userSends(chatID: Self.chat, text: "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A")
            let messageID = try #require(update.message?.messageID)
            try await client.deleteMessage(chatID: Self.chat, messageID: messageID)
            #expect(fake.messages(inChat: Self.chat).isEmpty)
            #expect(fake.deletedMessages(inChat: Self.chat).map(\.messageID) == [messageID])

            let again = await #expect(throws: TelegramClient.Error.self) {
                try await client.deleteMessage(chatID: Self.chat, messageID: messageID)
            }
            #expect(
                again == .refused(method: "deleteMessage", errorCode: 400, description: "Bad Request: message to delete not found", retryAfter: nil)
            )
        }
    }

    @Test("answerCallbackQuery answers the tap, once")
    func answerCallbackQuery() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let keyboard = TelegramInlineKeyboardMarkup(inlineKeyboard: [[.callback("Remind me later", data: "later:1")]])
            let sent = try await client.sendMessage(TelegramSendMessage(chatID: Self.chat, text: "Paused", replyMarkup: keyboard))
            let tap = fake.userTaps(chatID: Self.chat, messageID: sent.messageID, data: "later:1")
            let query = try #require(tap.callbackQuery)
            #expect(query.message?.messageID == sent.messageID)
            #expect(fake.unansweredCallbackQueries() == [query.id])

            try await client.answerCallbackQuery(TelegramAnswerCallbackQuery(callbackQueryID: query.id, text: "I'll remind you tomorrow"))
            #expect(fake.unansweredCallbackQueries().isEmpty)
            #expect(fake.callbackAnswers() == [.init(callbackQueryID: query.id, text: "I'll remind you tomorrow", showAlert: false)])
            let twice = await #expect(throws: TelegramClient.Error.self) {
                try await client.answerCallbackQuery(TelegramAnswerCallbackQuery(callbackQueryID: query.id))
            }
            #expect(twice?.errorCode == 400)
        }
    }

    @Test("setWebhook sends the URL, secret token and allowed updates, and returns Telegram's note")
    func setWebhook() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let note = try await client.setWebhook(
                TelegramSetWebhook(url: "https://rebind.example/v1/telegram/webhook", secretToken: Secret("hook-secret_1"))
            )
            #expect(note == "Webhook was set")
            #expect(
                fake.webhook
                    == .init(
                        url: "https://rebind.example/v1/telegram/webhook",
                        secretToken: "hook-secret_1",
                        allowedUpdates: ["message", "callback_query"]
                    )
            )
            let body = try #require(jsonObject(fake.calls(method: "setWebhook").first?.body))
            #expect(body["drop_pending_updates"] as? Bool == false)

            #expect(try await client.deleteWebhook() == "Webhook was deleted")
            #expect(fake.webhook == nil)
            #expect(try await client.deleteWebhook() == "Webhook is already deleted")
        }
    }

    @Test("setWebhook refuses a secret token Telegram would refuse, before sending it")
    func setWebhookBadSecret() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let error = await #expect(throws: TelegramClient.Error.self) {
                try await client.setWebhook(TelegramSetWebhook(url: "https://rebind.example/v1/telegram/webhook", secretToken: Secret("no spaces")))
            }
            #expect(error?.deliveryError == .permanent(reason: error?.description ?? ""))
            #expect(fake.calls().isEmpty)
        }
    }

    @Test("setWebhook to a plain-HTTP public URL is refused by Telegram as permanent")
    func setWebhookHTTP() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            let error = await #expect(throws: TelegramClient.Error.self) {
                try await client.setWebhook(TelegramSetWebhook(url: "http://rebind.example/v1/telegram/webhook", secretToken: Secret("s")))
            }
            #expect(error?.errorCode == 400)
            #expect(error?.description.contains("HTTPS URL must be provided") == true)
        }
    }

    @Test("getMe returns the bot, whose id is the token's number part")
    func getMe() async throws {
        try await FakeTelegramServer.withServer { fake in
            let me = try await client(of: fake).getMe()
            #expect(me.isBot)
            #expect(me.id == 123_456_789)
            #expect(me.username == FakeTelegramServer.botUsername)
        }
    }

    @Test("a wrong token gets 401 Unauthorized: the channel's credentials are refused (it pauses)")
    func wrongToken() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try TelegramClient(baseURL: fake.baseURL, token: Secret("987654321:wrong-token"), transport: testTransport())
            let error = await #expect(throws: TelegramClient.Error.self) { try await client.getMe() }
            #expect(error == .refused(method: "getMe", errorCode: 401, description: "Unauthorized", retryAfter: nil))
            #expect(error?.deliveryError == .channelRefused(reason: "getMe: Unauthorized"))
        }
    }

    @Test("a token with characters a URL path can't carry is refused up front")
    func malformedToken() throws {
        #expect(throws: TelegramClient.Error.invalidToken) {
            try TelegramClient(token: Secret("123:abc/../x"), transport: testTransport())
        }
        #expect(throws: TelegramClient.Error.invalidToken) {
            try TelegramClient(token: Secret(""), transport: testTransport())
        }
    }

    @Test("a trailing slash on the base URL does not double the path's slash")
    func trailingSlash() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try TelegramClient(baseURL: fake.baseURL + "/", token: fake.token, transport: testTransport())
            _ = try await client.getMe()
            #expect(fake.requests().first?.path == "/bot\(fake.token.value)/getMe")
        }
    }
}
