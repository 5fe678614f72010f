import Foundation
import RebindTelegram
import Testing

@Suite("Telegram models read and write the Bot API's JSON")
struct TelegramModelTests {
    @Test("a text message update decodes with its chat, sender and date")
    func messageUpdate() throws {
        let json = """
            {"update_id":10000,"message":{"message_id":1365,"from":{"id":1111111,"is_bot":false,"first_name":"Test","last_name":"Lastname",\
            "username":"Test","language_code":"en"},"chat":{"id":1111111,"first_name":"Test","last_name":"Lastname","username":"Test",\
            "type":"private"},"date":1441645532,"text":"/update binance","entities":[{"offset":0,"length":7,"type":"bot_command"}]}}
            """
        let update = try JSONDecoder().decode(TelegramUpdate.self, from: Data(json.utf8))
        #expect(update.updateID == 10000)
        let message = try #require(update.message)
        #expect(message.messageID == 1365)
        #expect(message.chat == TelegramChat(id: 1_111_111, type: "private", username: "Test", firstName: "Test"))
        #expect(message.from?.id == 1_111_111)
        #expect(message.from?.isBot == false)
        #expect(message.from?.languageCode == "en")
        #expect(message.text == "/update binance")
        #expect(message.date == 1_441_645_532)
        #expect(update.callbackQuery == nil)
    }

    @Test("a callback query update decodes with its data and the message it came from")
    func callbackUpdate() throws {
        let json = """
            {"update_id":10001,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"id":1111111,"is_bot":false,"first_name":"Test"},\
            "message":{"message_id":1366,"from":{"id":123456789,"is_bot":true,"first_name":"Rebind","username":"rebind_bot"},\
            "chat":{"id":1111111,"type":"private"},"date":1441645600,"text":"Your robot paused",\
            "reply_markup":{"inline_keyboard":[[{"text":"Update API key","callback_data":"update:acc_42"}]]}},\
            "chat_instance":"-8129123","data":"update:acc_42"}}
            """
        let update = try JSONDecoder().decode(TelegramUpdate.self, from: Data(json.utf8))
        let query = try #require(update.callbackQuery)
        #expect(query.id == "4382bfdwdsb323b2d9")
        #expect(query.data == "update:acc_42")
        #expect(query.chatInstance == "-8129123")
        #expect(query.message?.messageID == 1366)
        #expect(query.message?.from?.isBot == true)
        #expect(query.message?.replyMarkup?.inlineKeyboard.first?.first == .callback("Update API key", data: "update:acc_42"))
    }

    @Test("an inaccessible message in a callback query (date 0, no text) still decodes")
    func inaccessibleMessage() throws {
        let json = """
            {"update_id":5,"callback_query":{"id":"1","from":{"id":7,"is_bot":false,"first_name":"A"},\
            "message":{"message_id":3,"chat":{"id":7,"type":"private"},"date":0},"chat_instance":"1","data":"x"}}
            """
        let update = try JSONDecoder().decode(TelegramUpdate.self, from: Data(json.utf8))
        #expect(update.callbackQuery?.message?.date == 0)
        #expect(update.callbackQuery?.message?.text == nil)
    }

    @Test("a refusal envelope carries the error code, description and retry_after")
    func refusalEnvelope() throws {
        let json = #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#
        let response = try JSONDecoder().decode(TelegramResponse<TelegramMessage>.self, from: Data(json.utf8))
        #expect(!response.ok)
        #expect(response.errorCode == 429)
        #expect(response.description == "Too Many Requests: retry after 7")
        #expect(response.parameters?.retryAfter == 7)
        #expect(response.result == nil)
    }

    @Test("setWebhook parameters encode the secret token itself, not its redacted description")
    func setWebhookEncoding() throws {
        let parameters = TelegramSetWebhook(url: "https://rebind.example/v1/telegram/webhook", secretToken: .init("s3cret-Token_1"))
        let object = try #require(jsonObject(try JSONEncoder().encode(parameters)))
        #expect(object["secret_token"] as? String == "s3cret-Token_1")
        #expect(object["allowed_updates"] as? [String] == ["message", "callback_query"])
        #expect(object["drop_pending_updates"] as? Bool == false)
    }

    @Test("secret tokens are 1–256 of A-Z, a-z, 0-9, _ and -")
    func secretTokenAlphabet() {
        #expect(TelegramSetWebhook.isValidSecretToken("abc-DEF_123"))
        #expect(TelegramSetWebhook.isValidSecretToken(String(repeating: "a", count: 256)))
        #expect(!TelegramSetWebhook.isValidSecretToken(""))
        #expect(!TelegramSetWebhook.isValidSecretToken(String(repeating: "a", count: 257)))
        #expect(!TelegramSetWebhook.isValidSecretToken("with space"))
        #expect(!TelegramSetWebhook.isValidSecretToken("slash/"))
    }

    @Test("callback data is measured in bytes, not characters")
    func callbackDataBytes() {
        let sixtyFourBytes = TelegramInlineKeyboardMarkup(inlineKeyboard: [[.callback("ok", data: String(repeating: "é", count: 32))]])
        #expect(sixtyFourBytes.problem == nil)
        let sixtySixBytes = TelegramInlineKeyboardMarkup(inlineKeyboard: [[.callback("ok", data: String(repeating: "é", count: 33))]])
        #expect(sixtySixBytes.problem?.contains("66 bytes") == true)
        let empty = TelegramInlineKeyboardMarkup(inlineKeyboard: [[.callback("ok", data: "")]])
        #expect(empty.problem != nil)
    }
}
