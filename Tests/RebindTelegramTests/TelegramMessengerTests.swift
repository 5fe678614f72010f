import Foundation
import RebindCore
import RebindSimulator
import RebindTelegram
import Testing

@Suite("TelegramMessenger sends, edits and deletes as ChatMessenger promises")
struct TelegramMessengerTests {
    static let chat: Int64 = 5_550_001
    static let address = ChatAddress(channel: .telegram, id: "5550001")
    static let guidance = OutgoingMessage(
        text: "<b>BTC/USDT Grid</b> paused: the API key &lt;h8A&gt; expired.",
        format: .html,
        buttons: [
            [.callback(title: "Update API key", data: "update:acc_42")],
            [.url(title: "Help page", url: "https://help.utrading.io/en/exchange"), .callback(title: "Remind me later", data: "later:acc_42")],
        ]
    )

    @Test("send posts HTML, previews off and the inline keyboard exactly in Telegram's shape, and returns the message id")
    func sendShape() async throws {
        try await FakeTelegramServer.withServer { fake in
            let messenger = TelegramMessenger(client: try client(of: fake))
            #expect(messenger.channel == .telegram)
            let id = try await messenger.send(Self.guidance, to: Self.address)
            #expect(id == "1")

            let call = try #require(fake.calls(method: "sendMessage").first)
            #expect(
                call.bodyText == """
                    {"chat_id":5550001,"link_preview_options":{"is_disabled":true},"parse_mode":"HTML",\
                    "reply_markup":{"inline_keyboard":[[{"callback_data":"update:acc_42","text":"Update API key"}],\
                    [{"text":"Help page","url":"https://help.utrading.io/en/exchange"},\
                    {"callback_data":"later:acc_42","text":"Remind me later"}]]},\
                    "text":"<b>BTC/USDT Grid</b> paused: the API key &lt;h8A&gt; expired."}
                    """
            )
            let message = try #require(fake.messages(inChat: Self.chat).first)
            #expect(message.text == "BTC/USDT Grid paused: the API key <h8A> expired.")
            #expect(message.callbackData == ["update:acc_42", "later:acc_42"])
            #expect(message.linkPreviewDisabled)
        }
    }

    @Test("plain text goes without a parse mode")
    func plainText() async throws {
        try await FakeTelegramServer.withServer { fake in
            let messenger = TelegramMessenger(client: try client(of: fake))
            _ = try await messenger.send(OutgoingMessage(text: "1 < 2 & so on", format: .plain), to: Self.address)
            let body = try #require(jsonObject(fake.calls().first?.body))
            #expect(body["parse_mode"] == nil)
            #expect(fake.messages(inChat: Self.chat).first?.text == "1 < 2 & so on")
        }
    }

    @Test("edit replaces text and buttons; an edit to the same content succeeds")
    func edit() async throws {
        try await FakeTelegramServer.withServer { fake in
            let messenger = TelegramMessenger(client: try client(of: fake))
            let id = try await messenger.send(Self.guidance, to: Self.address)
            let resolved = OutgoingMessage(text: "✅ <b>BTC/USDT Grid</b> is running again.", format: .html)
            try await messenger.edit(messageID: id, in: Self.address, to: resolved)
            try await messenger.edit(messageID: id, in: Self.address, to: resolved)
            let message = try #require(fake.messages(inChat: Self.chat).first)
            #expect(message.text == "✅ BTC/USDT Grid is running again.")
            #expect(message.replyMarkup == nil)
            #expect(message.history.count == 1)
            let body = try #require(jsonObject(fake.calls(method: "editMessageText").first?.body))
            #expect(body["message_id"] as? Int == 1)
            #expect(body["chat_id"] as? Int == 5_550_001)
            #expect(body["parse_mode"] as? String == "HTML")
        }
    }

    @Test("delete removes the user's pasted secret; a refused deletion is permanent; one already gone is done")
    func delete() async throws {
        try await FakeTelegramServer.withServer { fake in
            let messenger = TelegramMessenger(client: try client(of: fake))
            let pasted = try #require(
                fake.userSends(chatID: Self.chat, text: "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j").message
            )
            try await messenger.delete(messageID: String(pasted.messageID), in: Self.address)
            #expect(fake.messages(inChat: Self.chat).isEmpty)

            let second = try #require(fake.userSends(chatID: Self.chat, text: "another secret").message)
            fake.refuseDeletions(inChat: Self.chat)
            let refused = await #expect(throws: DeliveryError.self) {
                try await messenger.delete(messageID: String(second.messageID), in: Self.address)
            }
            #expect(refused == .permanent(reason: "deleteMessage: Bad Request: message can't be deleted"))
            #expect(fake.messages(inChat: Self.chat).map(\.messageID) == [second.messageID])

            // Deleted already (an earlier try of the same input, or the user): nothing is left to do.
            fake.clearFaults()
            try await messenger.delete(messageID: String(pasted.messageID), in: Self.address)
            #expect(fake.calls(method: "deleteMessage").last?.outcome == .answered(status: 400))
        }
    }

    @Test("callback data over 64 bytes is refused as permanent before anything is sent")
    func callbackDataTooLong() async throws {
        try await FakeTelegramServer.withServer { fake in
            let messenger = TelegramMessenger(client: try client(of: fake))
            let message = OutgoingMessage(
                text: "Paused",
                format: .html,
                buttons: [[.callback(title: "Update", data: String(repeating: "x", count: 65))]]
            )
            let error = await #expect(throws: DeliveryError.self) { _ = try await messenger.send(message, to: Self.address) }
            guard case .permanent(let reason) = error else {
                Issue.record("expected permanent, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("65 bytes"))
            await #expect(throws: DeliveryError.self) { try await messenger.edit(messageID: "1", in: Self.address, to: message) }
            #expect(fake.calls().isEmpty)
        }
    }

    @Test("a Slack address, a non-numeric chat id or message id, or mrkdwn is permanent without a call")
    func wrongInputs() async throws {
        try await FakeTelegramServer.withServer { fake in
            let messenger = TelegramMessenger(client: try client(of: fake))
            let hello = OutgoingMessage(text: "Hello", format: .html)
            await #expect(throws: DeliveryError.self) { _ = try await messenger.send(hello, to: ChatAddress(channel: .slack, id: "5550001")) }
            await #expect(throws: DeliveryError.self) { _ = try await messenger.send(hello, to: ChatAddress(channel: .telegram, id: "@someone")) }
            await #expect(throws: DeliveryError.self) { try await messenger.delete(messageID: "abc", in: Self.address) }
            await #expect(throws: DeliveryError.self) {
                _ = try await messenger.send(OutgoingMessage(text: "*bold*", format: .mrkdwn), to: Self.address)
            }
            #expect(fake.calls().isEmpty)
        }
    }

    @Test("HTML Telegram can't parse is refused as permanent, naming the problem")
    func badHTML() async throws {
        try await FakeTelegramServer.withServer { fake in
            let messenger = TelegramMessenger(client: try client(of: fake))
            let error = await #expect(throws: DeliveryError.self) {
                _ = try await messenger.send(OutgoingMessage(text: "1 < 2", format: .html), to: Self.address)
            }
            #expect(error == .permanent(reason: "sendMessage: Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2"))
        }
    }
}
