import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// Dead letters replayed (DESIGN §3, §6): a notice Telegram refused for good is requeued
/// through the admin listener and then delivered, once.
@Suite("Replaying dead-lettered notices")
struct NoticeReplayTests {
    static func replay(_ body: String, contentType: String = "application/json", via client: some TestClientProtocol) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/admin/notices/replay",
            method: .post,
            headers: [.contentType: contentType],
            body: ByteBuffer(string: body)
        )
    }

    /// Polls `condition` until it holds or 10 seconds pass.
    static func eventually(_ condition: () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return (try? await condition()) == true
    }

    @Test("A guidance message refused by Telegram is dead-lettered, replayed through the admin listener and delivered once")
    func replayed() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            world.telegram.inject(.refuse(errorCode: 400, description: "Bad Request: can't parse entities"), times: 1, method: "sendMessage")
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            #expect(await Self.eventually { try await world.sqlite.deadNotices(limit: 10, beforeID: nil).count == 1 })
            let dead = try #require(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).first)
            #expect(dead.channel == .telegram)
            #expect(dead.error?.contains("can't parse entities") == true)
            #expect(world.botMessages().isEmpty)

            try await world.env.adminApplication().test(.router) { admin in
                let unknown = try await Self.replay(#"{"channel": "fax"}"#, via: admin)
                #expect(unknown.status == .badRequest)
                #expect((unknown.json["error"] as? [String: Any])?["field"] as? String == "channel")
                #expect(try await Self.replay(#"{"since": "yesterday"}"#, via: admin).status == .badRequest)
                // A form post from another site cannot replay.
                #expect(try await Self.replay("", contentType: "application/x-www-form-urlencoded", via: admin).status == .unsupportedMediaType)
                #expect(try await Self.replay(#"{"channel": "slack"}"#, via: admin).json["requeued"] as? Int == 0)
                let answer = try await Self.replay(#"{"channel": "telegram"}"#, via: admin)
                #expect(answer.status == .ok)
                #expect(answer.json["requeued"] as? Int == 1)
                // Each at most once: it is pending now, not dead.
                #expect(try await Self.replay("", via: admin).json["requeued"] as? Int == 0)
            }
            #expect(await SecretLeakTests.waitUntil { world.botMessages().count == 1 })
            #expect(world.botMessages().first?.text.contains("Binance") == true)
            #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).isEmpty)
            // The store records the send just after Telegram took it.
            #expect(await Self.eventually { try await world.sqlite.dueNotices(now: Date.distantFuture, limit: 10).isEmpty }, "sent, not pending")
            #expect(world.botMessages().count == 1)
        }
        try await world.shutdown()
    }
}
