import Foundation
import Logging
import RebindCore
import RebindSimulator
import RebindTelegram
import Testing

@Suite("The bot token stays out of errors and logs")
struct TelegramSecrecyTests {
    static let address = ChatAddress(channel: .telegram, id: "99")

    @Test("no failure's description, client error or delivery error, and no log line at any level, holds the token")
    func tokenNeverShows() async throws {
        let logs = LogRecorder()
        let token = FakeTelegramServer.defaultToken.value
        var descriptions: [String] = []
        try await FakeTelegramServer.withServer { fake in
            let logger = logs.logger(label: "test.telegram")
            let client = try TelegramClient(
                baseURL: fake.baseURL,
                token: fake.token,
                transport: testTransport(timeout: 0.5, logger: logger),
                timeout: 0.5,
                logger: logger
            )
            let messenger = TelegramMessenger(client: client)
            let faults: [FakeTelegramServer.Fault] = [
                .tooManyRequests(retryAfter: 3), .blocked, .serverError(status: 500), .serverError(status: 502), .malformedAnswer,
                .hang, .drop, .refuse(errorCode: 400, description: "Bad Request: chat not found"),
            ]
            for fault in faults {
                fake.inject(fault)
                do throws(TelegramClient.Error) {
                    _ = try await client.sendMessage(TelegramSendMessage(chatID: 99, text: "hi"))
                    Issue.record("\(fault) should have failed")
                } catch {
                    descriptions.append(error.description)
                    descriptions.append(String(reflecting: error))
                    descriptions.append(error.deliveryError.description)
                }
                fake.inject(fault)
                do throws(DeliveryError) {
                    _ = try await messenger.send(OutgoingMessage(text: "hi", format: .html), to: Self.address)
                } catch {
                    descriptions.append(error.description)
                    descriptions.append(String(reflecting: error))
                }
            }
        }
        // Nothing listens any more: the connection is refused.
        let logger = logs.logger(label: "test.telegram")
        let client = try TelegramClient(
            baseURL: "http://127.0.0.1:\(try await LoopbackHTTPServer.unusedPort())",
            token: FakeTelegramServer.defaultToken,
            transport: testTransport(logger: logger),
            logger: logger
        )
        do throws(TelegramClient.Error) {
            _ = try await client.getMe()
        } catch {
            descriptions.append(error.description)
        }

        #expect(descriptions.count == 8 * 5 + 1)
        #expect(!logs.all.isEmpty)
        let secretPart = String(token.split(separator: ":").last ?? "")
        for text in descriptions + logs.all {
            #expect(!text.contains(token), "\(text)")
            #expect(!text.contains(secretPart), "\(text)")
        }
        #expect(String(describing: FakeTelegramServer.defaultToken) == "<redacted>")
    }
}
