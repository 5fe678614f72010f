import Foundation
import RebindCore
import RebindSimulator
import RebindSlack
import Testing

@Suite("Slack failures become DeliveryError")
struct SlackErrorMappingTests {
    static let hello = OutgoingMessage(text: "Hello", format: .mrkdwn)

    /// The DeliveryError of a send whose `chat.postMessage` meets `fault` (the DM is opened first).
    func deliveryError(_ fault: FakeSlackServer.Fault, method: String = "chat.postMessage", timeout: TimeInterval = 45) async throws -> DeliveryError?
    {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            fake.inject(fault, method: method)
            let messenger = SlackMessenger(client: try client(of: fake, timeout: timeout))
            return await #expect(throws: DeliveryError.self) {
                _ = try await messenger.send(Self.hello, to: TestUser.address)
            }
        }
    }

    @Test("HTTP 429 becomes rateLimited with Slack's Retry-After")
    func rateLimited() async throws {
        #expect(try await deliveryError(.rateLimited(retryAfter: 17)) == .rateLimited(retryAfter: 17))
    }

    @Test(
        "A user or DM that can't be written to becomes blocked",
        arguments: [
            "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_disabled", "cannot_dm_bot", "messages_tab_disabled",
        ]
    )
    func blocked(error: String) async throws {
        #expect(try await deliveryError(.error(error)) == .blocked(reason: "chat.postMessage: \(error)"))
    }

    @Test("user_not_found when opening the DM becomes blocked too")
    func userNotFoundOnOpen() async throws {
        #expect(
            try await deliveryError(.error("user_not_found"), method: "conversations.open") == .blocked(reason: "conversations.open: user_not_found")
        )
    }

    @Test("A refused token pauses the channel", arguments: ["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"])
    func refusedToken(error: String) async throws {
        #expect(try await deliveryError(.error(error)) == .channelRefused(reason: "chat.postMessage: \(error)"))
    }

    @Test(
        "A token that lacks a scope or is of the wrong type stays permanent: probing would not mend it",
        arguments: ["missing_scope", "not_allowed_token_type"]
    )
    func brokenToken(error: String) async throws {
        #expect(try await deliveryError(.error(error)) == .permanent(reason: "chat.postMessage: \(error)"))
    }

    @Test("A revoked token is refused on the first call, and pauses the channel")
    func revokedToken() async throws {
        try await FakeSlackServer.withServer { fake in
            fake.revoke(fake.token)
            let error = await #expect(throws: DeliveryError.self) {
                _ = try await SlackMessenger(client: try client(of: fake)).send(Self.hello, to: TestUser.address)
            }
            #expect(error == .channelRefused(reason: "conversations.open: token_revoked"))
        }
    }

    @Test("ratelimited in the JSON of an HTTP 200 is rateLimited too")
    func ratelimitedError() async throws {
        #expect(try await deliveryError(.error("ratelimited")) == .rateLimited(retryAfter: 5))
    }

    @Test("Slack's own trouble in JSON becomes transient", arguments: ["internal_error", "fatal_error", "service_unavailable", "request_timeout"])
    func temporary(error: String) async throws {
        #expect(try await deliveryError(.error(error)) == .transient(reason: "chat.postMessage: \(error)"))
    }

    @Test("Another refusal becomes permanent with Slack's error code")
    func otherRefusal() async throws {
        #expect(try await deliveryError(.error("msg_too_long")) == .permanent(reason: "chat.postMessage: msg_too_long"))
    }

    @Test("500 in the Web API's JSON becomes transient")
    func internalServerError() async throws {
        #expect(try await deliveryError(.serverError(status: 500)) == .transient(reason: "chat.postMessage: fatal_error"))
    }

    @Test("503 as the edge's HTML page becomes transient, without quoting the page")
    func serviceUnavailable() async throws {
        let error = try await deliveryError(.serverError(status: 503))
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("HTTP 503"))
        #expect(!reason.contains("trouble"))
    }

    @Test("A cut-off JSON answer becomes transient")
    func malformedAnswer() async throws {
        let error = try await deliveryError(.malformedAnswer)
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("unreadable"))
    }

    @Test("A server that never answers becomes transient after the client's timeout")
    func hang() async throws {
        let error = try await deliveryError(.hang, timeout: 0.5)
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("timed out"))
    }

    @Test("A dropped connection becomes transient")
    func drop() async throws {
        // On a fresh connection: the DM's conversations.open is the first call.
        let error = try await deliveryError(.drop, method: "conversations.open")
        guard case .transient(let reason) = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("dropped"))
    }

    @Test("A reused connection that drops before answering is retried once by libcurl: a post may reach Slack twice")
    func dropOnReusedConnection() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            let messenger = SlackMessenger(client: try client(of: fake))
            fake.inject(.drop, method: "chat.postMessage")
            _ = try await messenger.send(Self.hello, to: TestUser.address)
            #expect(fake.calls(method: "chat.postMessage").map(\.outcome) == [.dropped, .answered(status: 200)])
            #expect(Set(fake.requests().map(\.connection)).count == 2)

            fake.inject(.drop, times: 2, method: "chat.postMessage")
            let error = await #expect(throws: DeliveryError.self) { _ = try await messenger.send(Self.hello, to: TestUser.address) }
            guard case .transient? = error else {
                Issue.record("expected transient, got \(String(describing: error))")
                return
            }
        }
    }

    @Test("A refused connection becomes transient")
    func connectionRefused() async throws {
        let port = try await LoopbackHTTPServer.unusedPort()
        let client = try SlackClient(baseURL: "http://127.0.0.1:\(port)/api", token: FakeSlackServer.defaultToken, transport: testTransport())
        let error = await #expect(throws: DeliveryError.self) {
            _ = try await SlackMessenger(client: client).send(Self.hello, to: TestUser.address)
        }
        guard case .transient = error else {
            Issue.record("expected transient, got \(String(describing: error))")
            return
        }
    }

    @Test("Each failure maps the same way straight from the client's error")
    func directMapping() {
        typealias E = SlackClient.Error
        #expect(E.httpStatus(method: "m", status: 429, retryAfter: 3).deliveryError == .rateLimited(retryAfter: 3))
        #expect(E.httpStatus(method: "m", status: 429, retryAfter: nil).deliveryError == .rateLimited(retryAfter: 5))
        #expect(E.refused(method: "m", error: "ratelimited", status: 429, retryAfter: 9).deliveryError == .rateLimited(retryAfter: 9))
        #expect(E.refused(method: "m", error: "fatal_error", status: 500, retryAfter: nil).deliveryError == .transient(reason: "m: fatal_error"))
        #expect(
            E.refused(method: "m", error: "channel_not_found", status: 200, retryAfter: nil).deliveryError == .blocked(reason: "m: channel_not_found")
        )
        #expect(E.refused(method: "m", error: "token_revoked", status: 200, retryAfter: nil).isTokenBroken)
        guard case .permanent = E.httpStatus(method: "m", status: 404, retryAfter: nil).deliveryError else {
            Issue.record("404 should be permanent")
            return
        }
        guard case .transient = E.httpStatus(method: "m", status: 502, retryAfter: nil).deliveryError else {
            Issue.record("502 should be transient")
            return
        }
        guard case .permanent = E.invalidToken.deliveryError else {
            Issue.record("a malformed token should be permanent")
            return
        }
    }

    @Test("A fault answers only the calls it was injected for, then Slack works again")
    func faultsRunOut() async throws {
        try await FakeSlackServer.withServer(limits: .unlimited) { fake in
            fake.inject(.serverError(status: 503), times: 2, method: "chat.postMessage")
            let messenger = SlackMessenger(client: try client(of: fake))
            for _ in 0..<2 {
                await #expect(throws: DeliveryError.self) { _ = try await messenger.send(Self.hello, to: TestUser.address) }
            }
            _ = try await messenger.send(Self.hello, to: TestUser.address)
            #expect(fake.calls(method: "chat.postMessage").map(\.status) == [503, 503, 200])
            #expect(fake.calls(method: "conversations.open").count == 1)
        }
    }
}
