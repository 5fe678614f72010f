import Foundation
import HummingbirdTesting
import RebindApp
import RebindCore
import RebindSimulator
import Testing

/// A revoked bot token pauses its channel instead of dead-lettering every message (DESIGN
/// §11): notices wait, `/readyz` and the metrics say paused, probes back off, and the channel
/// resumes by itself when the token works again, losing nothing.
@Suite("A channel pauses instead of dropping")
struct ChannelPauseTests {
    @Test("Telegram refusing the token for a while: the guidance waits, /readyz and the metric say paused, then it is delivered once")
    func tokenRevokedThenRestored() async throws {
        let world = try await ChatWorld.start()
        try await world.application().test(.live) { client in
            // Every call refused as Telegram refuses a revoked token.
            world.telegram.inject(.refuse(errorCode: 401, description: "Unauthorized"), times: nil)
            try await world.sendEvent(ChatWorld.event(), id: "msg_1", via: client)
            #expect(
                await NoticeReplayTests.eventually {
                    let ready = try await world.env.admin("/readyz")
                    return (ready.json["channels"] as? [String: String])?["telegram"] == "paused"
                }
            )
            let ready = try await world.env.admin("/readyz")
            #expect(ready.status == .ok, "a paused channel does not make the replica unready")
            // The console's overview says so too, with why.
            let console = String(buffer: try await world.env.admin("/console").body)
            #expect(console.contains(#"<span class="badge paused">paused</span>"#), "\(console)")
            #expect(console.contains("Unauthorized"))
            #expect(String(buffer: try await world.env.admin("/metrics").body).contains(#"rebind_channel_paused{channel="telegram"} 1"#))
            // The token is probed (getMe), backing off, while nothing is dead-lettered.
            #expect(await NoticeReplayTests.eventually { world.telegram.calls(method: "getMe").count >= 2 })
            #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).isEmpty)
            #expect(try await !world.sqlite.dueNotices(now: .distantFuture, limit: 10).isEmpty, "the guidance is still pending")
            #expect(world.botMessages().isEmpty)

            // The token works again: the channel resumes by itself and the guidance goes, once.
            world.telegram.clearFaults()
            #expect(await NoticeReplayTests.eventually { world.botMessages().count == 1 })
            #expect(
                await NoticeReplayTests.eventually {
                    let ready = try await world.env.admin("/readyz")
                    return (ready.json["channels"] as? [String: String])?["telegram"] == "active"
                }
            )
            #expect(String(buffer: try await world.env.admin("/metrics").body).contains(#"rebind_channel_paused{channel="telegram"} 0"#))
            #expect(String(buffer: try await world.env.admin("/console").body).contains(#"<span class="badge active">active</span>"#))
            #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).isEmpty)
            #expect(try await world.sqlite.dueNotices(now: .distantFuture, limit: 10).isEmpty)
            try await world.settle(via: client)
            #expect(world.botMessages().filter { $0.text.contains("Binance") }.count == 1)
        }
        try await world.shutdown()
    }
}
