import Foundation
import RebindCore
import RebindSimulator
import RebindTelegram
import Testing

@Suite("Telegram failures become DeliveryError")
struct TelegramErrorMappingTests {
    static let chat: Int64 = 777
    static let hello = OutgoingMessage(text: "Hello", format: .html)
    static let address = ChatAddress(channel: .telegram, id: "777")

    func deliveryError(_ fault: FakeTelegramServer.Fault, timeout: TimeInterval = 45) async throws -> DeliveryError? {
        try await FakeTelegramServer.withServer { fake in
            fake.inject(fault)
            let messenger = TelegramMessenger(client: try client(of: fake, timeout: timeout))
            return await #expect(throws: DeliveryError.self) {
                _ = try await messenger.send(Self.hello, to: Self.address)
            }
        }
    }

    @Test("429 becomes rateLimited with Telegram's retry_after")
    func tooManyRequests() async throws {
        #expect(try await deliveryError(.tooManyRequests(retryAfter: 17)) == .rateLimited(retryAfter: 17))
    }

    @Test("403 'bot was blocked by the user' becomes blocked")
    func blocked() async throws {
        #expect(try await deliveryError(.blocked) == .blocked(reason: "Forbidden: bot was blocked by the user"))
    }

    @Test("403 'bot can't initiate conversation' becomes blocked")
    func cannotInitiate() async throws {
        #expect(try await deliveryError(.cannotInitiateConversation) == .blocked(reason: "Forbidden: bot can't initiate conversation with a user"))
    }

    @Test("another 400 becomes permanent with Telegram's description")
    func badRequest() async throws {
        let error = try await deliveryError(.refuse(errorCode: 400, description: "Bad Request: chat not found"))
        #expect(error == .permanent(reason: "sendMessage: Bad Request: chat not found"))
    }

    @Test("500 in the Bot API's JSON becomes transient")
    func internalError() async throws {
        let error = try await deliveryError(.serverError(status: 500))
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("Internal Server Error"))
    }

    @Test("502 as the proxy's HTML page becomes transient")
    func badGateway() async throws {
        let error = try await deliveryError(.serverError(status: 502))
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("HTTP 502"))
        #expect(!reason.contains("nginx"))
    }

    @Test("a cut-off JSON answer becomes transient")
    func malformedAnswer() async throws {
        let error = try await deliveryError(.malformedAnswer)
        guard case .transient = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
    }

    @Test("a server that never answers becomes transient after the client's timeout")
    func hang() async throws {
        let started = ContinuousClock.now
        let error = try await deliveryError(.hang, timeout: 0.5)
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("timed out"))
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test("a dropped connection becomes transient")
    func drop() async throws {
        let error = try await deliveryError(.drop)
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("dropped"))
    }

    @Test("a refused connection becomes transient")
    func connectionRefused() async throws {
        let port = try await LoopbackHTTPServer.unusedPort()
        let client = try TelegramClient(baseURL: "http://127.0.0.1:\(port)", token: FakeTelegramServer.defaultToken, transport: testTransport())
        let error = await #expect(throws: DeliveryError.self) {
            _ = try await TelegramMessenger(client: client).send(Self.hello, to: Self.address)
        }
        guard case .transient = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
    }

    @Test("a fault answers only the calls it was injected for, then Telegram works again")
    func faultsRunOut() async throws {
        try await FakeTelegramServer.withServer { fake in
            fake.inject(.serverError(status: 503), times: 2, method: "sendMessage", chatID: Self.chat)
            let messenger = TelegramMessenger(client: try client(of: fake))
            // Another chat is not affected.
            _ = try await messenger.send(Self.hello, to: ChatAddress(channel: .telegram, id: "778"))
            for _ in 0..<2 {
                await #expect(throws: DeliveryError.self) { _ = try await messenger.send(Self.hello, to: Self.address) }
            }
            #expect(try await messenger.send(Self.hello, to: Self.address) == "1")
            #expect(fake.calls(method: "sendMessage").map(\.status) == [200, 503, 503, 200])
        }
    }

    @Test("dropAfterApplying leaves the message in the chat although the sender saw a failure")
    func dropAfterApplying() async throws {
        try await FakeTelegramServer.withServer { fake in
            fake.inject(.dropAfterApplying)
            let messenger = TelegramMessenger(client: try client(of: fake))
            await #expect(throws: DeliveryError.self) { _ = try await messenger.send(Self.hello, to: Self.address) }
            #expect(fake.messages(inChat: Self.chat).count == 1)
            #expect(fake.calls().first?.outcome == .dropped)
        }
    }
}
