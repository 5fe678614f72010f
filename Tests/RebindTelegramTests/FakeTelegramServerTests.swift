import Foundation
import RebindCore
import RebindHTTP
import RebindSimulator
import RebindTelegram
import Testing

@Suite("The fake Bot API behaves as Telegram does where Rebind depends on it")
struct FakeTelegramServerTests {
    func send(_ client: TelegramClient, to chat: Int64, _ text: String = "hi") async -> TelegramClient.Error? {
        do throws(TelegramClient.Error) {
            _ = try await client.sendMessage(TelegramSendMessage(chatID: chat, text: text))
            return nil
        } catch {
            return error
        }
    }

    @Test("the default limits are about 1 message per second per chat with a small burst, and 30 per second overall")
    func defaultLimits() {
        let limits = FakeTelegramServer.Limits()
        #expect(limits.perChatPerSecond == 1)
        #expect(limits.perChatBurst == 3)
        #expect(limits.globalPerSecond == 30)
        #expect(limits.globalBurst == 30)
    }

    @Test("past one chat's burst, sends to that chat get 429 with retry_after while other chats go through")
    func perChatLimit() async throws {
        // One message per 100 s after a burst of 2, on a clock only the test moves.
        let limits = FakeTelegramServer.Limits(perChatPerSecond: 0.01, perChatBurst: 2, globalPerSecond: 1000)
        let clock = FakeTelegramServer.ManualClock()
        try await FakeTelegramServer.withServer(limits: limits, clock: clock) { fake in
            let client = try client(of: fake)
            var errors: [TelegramClient.Error?] = []
            for _ in 0..<4 { errors.append(await send(client, to: 1)) }
            #expect(errors[0] == nil && errors[1] == nil)
            for error in errors[2...] {
                #expect(error?.errorCode == 429)
                #expect(error?.deliveryError == .rateLimited(retryAfter: 100))
            }
            #expect(await send(client, to: 2) == nil)
            #expect(fake.count429s == 2)
            #expect(fake.messages(inChat: 1).count == 2)
            let refused = try #require(fake.calls(method: "sendMessage").last { $0.status == 429 })
            #expect(refused.errorDescription == "Too Many Requests: retry after 100")
            #expect(refused.retryAfter == 100)

            // Whole seconds left, rounded up; once they pass, one more goes.
            clock.advance(by: 99.5)
            #expect(await send(client, to: 1)?.deliveryError == .rateLimited(retryAfter: 1))
            clock.advance(by: 0.5)
            #expect(await send(client, to: 1) == nil)
            #expect(await send(client, to: 1)?.deliveryError == .rateLimited(retryAfter: 100))
            #expect(fake.messages(inChat: 1).count == 3)
        }
    }

    @Test("edits count against the chat's limit too")
    func editsCount() async throws {
        let limits = FakeTelegramServer.Limits(perChatPerSecond: 0.01, perChatBurst: 2, globalPerSecond: 1000)
        try await FakeTelegramServer.withServer(limits: limits, clock: FakeTelegramServer.ManualClock()) { fake in
            let client = try client(of: fake)
            let sent = try await client.sendMessage(TelegramSendMessage(chatID: 1, text: "v1"))
            try await client.editMessageText(TelegramEditMessageText(chatID: 1, messageID: sent.messageID, text: "v2"))
            let error = await #expect(throws: TelegramClient.Error.self) {
                try await client.editMessageText(TelegramEditMessageText(chatID: 1, messageID: sent.messageID, text: "v3"))
            }
            #expect(error?.errorCode == 429)
            #expect(fake.messages(inChat: 1).first?.text == "v2")
        }
    }

    @Test("past the global burst, sends to any chat get 429")
    func globalLimit() async throws {
        let limits = FakeTelegramServer.Limits(perChatPerSecond: 1000, perChatBurst: 1000, globalPerSecond: 0.01, globalBurst: 3)
        try await FakeTelegramServer.withServer(limits: limits, clock: FakeTelegramServer.ManualClock()) { fake in
            let client = try client(of: fake)
            var statuses: [Int?] = []
            for chat in Int64(1)...5 { statuses.append(await send(client, to: chat)?.errorCode) }
            #expect(statuses == [nil, nil, nil, 429, 429])
            #expect(fake.count429s == 2)
            #expect(fake.chatIDs() == [1, 2, 3])
        }
    }

    @Test("allow_paid_broadcast lifts the free 30/s limit to 1,000/s, through TelegramMessenger's setting, and counts what it costs")
    func paidBroadcast() async throws {
        try await FakeTelegramServer.withServer(clock: FakeTelegramServer.ManualClock()) { fake in
            let client = try client(of: fake)
            let free = TelegramMessenger(client: client)
            let paid = TelegramMessenger(client: client, paidBroadcast: true)
            let message = OutgoingMessage(text: "hi", format: .html)
            var freeErrors: [DeliveryError] = []
            for chat in 1...40 {
                do throws(DeliveryError) {
                    _ = try await free.send(message, to: ChatAddress(channel: .telegram, id: String(chat)))
                } catch {
                    freeErrors.append(error)
                }
            }
            // Telegram's free broadcast limit: 30 at once, then 429s.
            #expect(freeErrors.count == 10)
            for chat in 101...400 {
                _ = try await paid.send(message, to: ChatAddress(channel: .telegram, id: String(chat)))
            }
            #expect(fake.paidMessages == 300)
            let sent = fake.calls(method: "sendMessage").filter { $0.outcome == .answered(status: 200) }
            #expect(sent.count == 330)
            #expect(sent.last?.bodyText.contains(#""allow_paid_broadcast":true"#) == true)
            #expect(sent.first?.bodyText.contains("allow_paid_broadcast") == false)
        }
    }

    @Test("with the default limits a burst to one chat is cut off after a few messages")
    func defaultPerChatBurst() async throws {
        let clock = FakeTelegramServer.ManualClock()
        try await FakeTelegramServer.withServer(clock: clock) { fake in
            let client = try client(of: fake)
            var errors: [DeliveryError?] = []
            for _ in 0..<6 { errors.append(await send(client, to: 1)?.deliveryError) }
            // Three go at once; the rest wait for the chat's one message a second.
            #expect(errors == [nil, nil, nil, .rateLimited(retryAfter: 1), .rateLimited(retryAfter: 1), .rateLimited(retryAfter: 1)])
            clock.advance(by: 1)
            #expect(await send(client, to: 1) == nil)
            #expect(await send(client, to: 1)?.deliveryError == .rateLimited(retryAfter: 1))
            // A long pause refills the burst, no more.
            clock.advance(by: 60)
            errors = []
            for _ in 0..<4 { errors.append(await send(client, to: 1)?.deliveryError) }
            #expect(errors == [nil, nil, nil, .rateLimited(retryAfter: 1)])
            #expect(fake.messages(inChat: 1).count == 7)
        }
    }

    @Test("message ids count up per chat, shared by the bot's and the user's messages")
    func messageIDs() async throws {
        try await FakeTelegramServer.withServer(limits: .unlimited) { fake in
            let client = try client(of: fake)
            #expect(try await client.sendMessage(TelegramSendMessage(chatID: 1, text: "a")).messageID == 1)
            #expect(fake.userSends(chatID: 1, text: "b").message?.messageID == 2)
            #expect(try await client.sendMessage(TelegramSendMessage(chatID: 2, text: "c")).messageID == 1)
            #expect(fake.messages(inChat: 1).map(\.fromBot) == [true, false])
        }
    }

    @Test("HTML Telegram can't parse is refused like Telegram refuses it")
    func htmlRefusals() async throws {
        try await FakeTelegramServer.withServer(limits: .unlimited) { fake in
            let client = try client(of: fake)
            let cases: [(String, String)] = [
                ("<b>bold", "Can't find end tag corresponding to start tag \"b\""),
                ("<b>x</i>", "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""),
                ("a <br> b", "Unsupported start tag \"br\" at byte offset 2"),
                ("x</b>", "Unexpected end tag at byte offset 1"),
                ("<a href=\"https://x", "Unclosed start tag at byte offset 0"),
            ]
            for (html, problem) in cases {
                let error = await send(client, to: 1, html)
                #expect(error?.description == "Telegram refused sendMessage (400): Bad Request: can't parse entities: \(problem)", "\(html)")
            }
            #expect(
                await send(client, to: 1, #"<a href="https://x.example/?a=1&amp;b=2">link</a> &#9989; &unknown; <code>&lt;key&gt;</code>"#) == nil
            )
            #expect(fake.messages(inChat: 1).first?.text == "link ✅ &unknown; <key>")
            #expect(
                await send(client, to: 1, "  ")
                    == .refused(method: "sendMessage", errorCode: 400, description: "Bad Request: message text is empty", retryAfter: nil)
            )
            #expect(await send(client, to: 1, String(repeating: "a", count: 4097))?.description.contains("message is too long") == true)
            #expect(await send(client, to: 1, "<b>" + String(repeating: "a", count: 4096) + "</b>") == nil)
        }
    }

    @Test("callback data over 64 bytes that reaches Telegram is refused as BUTTON_DATA_INVALID")
    func buttonDataInvalid() async throws {
        try await FakeTelegramServer.withServer { fake in
            let body =
                #"{"chat_id":1,"text":"x","reply_markup":{"inline_keyboard":[[{"text":"t","callback_data":"\#(String(repeating: "x", count: 65))"}]]}}"#
            let response = try await testTransport().send(
                HTTPRequest(
                    method: "POST",
                    url: "\(fake.baseURL)/bot\(fake.token.value)/sendMessage",
                    headers: [("Content-Type", "application/json")],
                    body: Data(body.utf8)
                )
            )
            #expect(response.status == 400)
            #expect(jsonObject(response.body)?["description"] as? String == "Bad Request: BUTTON_DATA_INVALID")
            #expect(jsonObject(response.body)?["ok"] as? Bool == false)
        }
    }

    @Test("form-encoded and query parameters are read as Telegram reads them")
    func formParameters() async throws {
        try await FakeTelegramServer.withServer { fake in
            let markup = #"{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}"#
            var form = URLComponents()
            form.queryItems = [
                .init(name: "chat_id", value: "12"), .init(name: "text", value: "a+b & c"), .init(name: "reply_markup", value: markup),
            ]
            let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            let response = try await testTransport().send(
                HTTPRequest(
                    method: "POST",
                    url: "\(fake.baseURL)/bot\(fake.token.value)/sendMessage",
                    headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: Data(body.utf8)
                )
            )
            #expect(response.status == 200)
            #expect(fake.messages(inChat: 12).first?.text == "a+b & c")
            #expect(fake.messages(inChat: 12).first?.callbackData == ["go"])

            let get = try await testTransport().send(HTTPRequest(url: "\(fake.baseURL)/bot\(fake.token.value)/getUpdates?offset=5&timeout=0"))
            #expect(String(decoding: get.body, as: UTF8.self) == #"{"ok":true,"result":[]}"#)
        }
    }

    @Test("a wrong token is 401 in Telegram's words; an unknown method or a path without a token is 404")
    func unknownMethod() async throws {
        try await FakeTelegramServer.withServer { fake in
            let transport = try testTransport()
            let wrongToken = try await transport.send(HTTPRequest(method: "POST", url: "\(fake.baseURL)/bot1:nope/getMe"))
            #expect(wrongToken.status == 401)
            #expect(String(decoding: wrongToken.body, as: UTF8.self) == #"{"ok":false,"error_code":401,"description":"Unauthorized"}"#)
            let unknown = try await transport.send(HTTPRequest(method: "POST", url: "\(fake.baseURL)/bot\(fake.token.value)/sendSticker"))
            #expect(unknown.status == 404)
            #expect(jsonObject(unknown.body)?["description"] as? String == "Not Found")
            let noToken = try await transport.send(HTTPRequest(url: "\(fake.baseURL)/getMe"))
            #expect(noToken.status == 404)
        }
    }

    @Test("every call is recorded in order of arrival, with its outcome and a monotonic time")
    func callRecord() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            fake.inject(.tooManyRequests(retryAfter: 2), method: "sendMessage")
            _ = await send(client, to: 8)
            _ = await send(client, to: 8)
            _ = try await client.getMe()
            let calls = fake.calls()
            #expect(calls.map(\.number) == [1, 2, 3])
            #expect(calls.map(\.method) == ["sendMessage", "sendMessage", "getMe"])
            #expect(calls.map(\.status) == [429, 200, 200])
            #expect(calls.map(\.chatID) == [8, 8, nil])
            #expect(calls[0].retryAfter == 2)
            #expect(calls[0].receivedAt <= calls[1].receivedAt && calls[1].receivedAt <= calls[2].receivedAt)
            #expect(calls[1]["text"] == .string("hi"))
            #expect(await fake.waitForCalls(method: "getMe", count: 1).count == 1)
        }
    }

    @Test("a fault for every call stays until cleared")
    func permanentFault() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            fake.inject(.blocked, times: nil, chatID: 9)
            for _ in 0..<3 { #expect(await send(client, to: 9)?.errorCode == 403) }
            fake.clearFaults()
            #expect(await send(client, to: 9) == nil)
        }
    }

    @Test("getWebhookInfo reports the webhook and the pending updates")
    func webhookInfo() async throws {
        try await FakeTelegramServer.withServer { fake in
            let client = try client(of: fake)
            fake.userSends(chatID: 3, text: "x")
            struct GetWebhookInfo: TelegramMethod {
                typealias Result = FakeTelegramServer.JSONValue
                static let name = "getWebhookInfo"
            }
            let info = try await client.call(GetWebhookInfo()).result
            #expect(info["url"] == .string(""))
            #expect(info["pending_update_count"] == .integer(1))
        }
    }
}
