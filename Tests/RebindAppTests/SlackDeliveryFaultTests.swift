import Foundation
import HummingbirdTesting
import RebindCore
import RebindCrypto
import RebindSimulator
import RebindSlack
import Testing

/// Slack's outbox over real HTTP against the fake Web API with Slack's posting limit on
/// (about 1 message per second per channel, 429 with `Retry-After` past it) and Rebind's Slack
/// pacer as production sets it (1 s per DM): one message per incident, edits for the rest,
/// never faster than the limit; a 429 holds the DM for its `Retry-After`; a 5xx is retried; a
/// refused token dead-letters and is counted; a deactivated user gets nothing more. The
/// Slack counterpart of `DeliveryFaultTests`.
@Suite("Slack delivery under faults")
struct SlackDeliveryFaultTests {
    typealias Fault = FakeSlackServer.Fault

    /// Slack's limit and Rebind's production pacing, both on. The fake holds each DM to 1
    /// message a second with a burst of 2, as Slack allows short bursts: the pacer times the
    /// sends and the fake their arrival, and a trip over loopback can take a few milliseconds
    /// longer than the next (see `strictLimit`). The arrival times are checked on their own.
    static func paced(burst: Int = 2) -> SlackWorld.Options {
        var options = SlackWorld.Options()
        options.slackLimits = FakeSlackServer.Limits(perChannelPerSecond: 1, perChannelBurst: burst)
        options.productionPacing = true
        return options
    }

    @Test("Several incidents for one Slack user, then updates and a fix: one DM message per incident, chat.update for the rest, ≥ 1 s apart, no 429")
    func incidentsAndEdits() async throws {
        try await SlackWorld.with(Self.paced()) { world, client in
            let accounts = (0..<3).map { "acc_s\($0)" }
            // Three accounts' keys fail at once: three incidents, three messages in one DM.
            for (index, account) in accounts.enumerated() {
                try await world.sendEvent(SlackWorld.event(account: account, robot: "rb_\(index)_1"), id: "p-\(index)-1", via: client)
            }
            #expect(await world.waitUntil { world.succeeded("chat.postMessage").count == 3 })
            #expect(world.botMessages().count == 3)

            // Then a second robot of two of them pauses (an edit each), and the first key is
            // fixed on the web (its message edited to resolved).
            for index in 1..<3 {
                try await world.sendEvent(SlackWorld.event(account: accounts[index], robot: "rb_\(index)_2"), id: "p-\(index)-2", via: client)
            }
            try await world.sendEvent(SlackWorld.event(type: "api_binding.updated", account: accounts[0]), id: "fixed-0", via: client)
            #expect(await world.waitUntil { world.succeeded("chat.update").count == 3 })
            #expect(await eventually(timeout: .seconds(5)) { try await world.sqlite.pendingNotices().isEmpty })

            let posts = world.slack.calls(method: "chat.postMessage")
            #expect(posts.count == 3, "\(posts)")
            let messages = world.botMessages()
            #expect(messages.count == 3)
            #expect(Set(messages.map(\.ts)).count == 3)
            // Each edit went to one of the incidents' messages.
            let edits = world.succeeded("chat.update")
            #expect(edits.allSatisfy { edit in messages.contains { $0.ts == edit["ts"]?.string } })
            for (index, account) in accounts.enumerated() {
                let mine = messages.filter { SlackWorld.shown($0).contains("Grid rb_\(index)_1") }
                #expect(mine.count == 1, "\(account): \(mine.count) messages")
                guard let message = mine.first else { continue }
                #expect(message.history.count == 1, "\(account): \(message.history.count) edits")
                if index == 0 {
                    #expect(message.buttons.isEmpty, "the resolved message still has buttons")
                } else {
                    #expect(SlackWorld.shown(message).contains("Grid rb_\(index)_2"), "\(account) misses its second robot")
                    #expect(!message.buttons.isEmpty)
                }
            }
            // Rebind kept to the limit itself: Slack never had to say so.
            #expect(world.slack.count429s == 0)
            world.expectPacing(perDM: 1)
        }
    }

    @Test("Held to Slack's limit with no burst at all, the second message to a newly opened DM is still 1 s after the first")
    func strictLimit() async throws {
        try await SlackWorld.with(Self.paced(burst: 1)) { world, client in
            for index in 0..<3 {
                try await world.sendEvent(SlackWorld.event(account: "acc_t\(index)", robot: "rb_t\(index)"), id: "t-\(index)", via: client)
            }
            #expect(await world.waitUntil { world.succeeded("chat.postMessage").count == 3 })
            #expect(world.slack.count429s == 0, "\(world.slack.calls().map { "\($0) at \($0.receivedAt)" })")
            world.expectPacing(perDM: 1, tolerance: 1)
        }
    }

    @Test("A 429 with Retry-After holds the DM that long, for every message to it; then each goes exactly once")
    func rateLimited() async throws {
        let retryAfter = 3
        try await SlackWorld.with(Self.paced()) { world, client in
            world.slack.inject(.rateLimited(retryAfter: retryAfter), times: 1, method: "chat.postMessage")
            try await world.sendEvent(SlackWorld.event(account: "acc_r1", robot: "rb_r1"), id: "r-1", via: client)
            #expect(await world.waitUntil { !world.slack.calls(method: "chat.postMessage").isEmpty })
            // A second incident for the same user while the DM is held.
            try await world.sendEvent(SlackWorld.event(account: "acc_r2", robot: "rb_r2"), id: "r-2", via: client)
            #expect(await world.waitUntil { world.succeeded("chat.postMessage").count == 2 })
            #expect(await eventually(timeout: .seconds(5)) { try await world.sqlite.pendingNotices().isEmpty })

            let posts = world.slack.calls(method: "chat.postMessage")
            let refused = try #require(posts.first)
            #expect(refused.status == 429 && refused.retryAfter == retryAfter)
            #expect(posts.count == 3, "\(posts)")
            let delivered = world.succeeded("chat.postMessage")
            for call in delivered {
                // Nothing went to the DM before Slack's Retry-After was over…
                #expect(call.receivedAt - refused.receivedAt >= Double(retryAfter) - 0.05, "\(call.receivedAt - refused.receivedAt) s after the 429")
            }
            // …and the first went soon after it: not when a lease ran out (60 s). Generous, as
            // this runs beside the whole suite: there it took 6 s where alone it takes 3.
            if let first = delivered.first {
                #expect(first.receivedAt - refused.receivedAt <= Double(retryAfter) + 10, "\(first.receivedAt - refused.receivedAt) s after the 429")
            }
            let messages = world.botMessages()
            #expect(messages.count == 2)
            for robot in ["rb_r1", "rb_r2"] {
                #expect(messages.count(where: { SlackWorld.shown($0).contains("Grid \(robot)") }) == 1, "\(robot)")
            }
            // Only the injected 429.
            #expect(world.slack.count429s == 1)
            world.expectPacing(perDM: 1)
        }
    }

    @Test("A 5xx is retried with backoff: the message arrives exactly once", arguments: [[500], [502, 503]])
    func serverError(statuses: [Int]) async throws {
        try await SlackWorld.with(Self.paced()) { world, client in
            for status in statuses {
                world.slack.inject(.serverError(status: status), times: 1, method: "chat.postMessage")
            }
            try await world.sendEvent(SlackWorld.event(account: "acc_e1", robot: "rb_e1"), id: "e-1", via: client)
            #expect(await world.waitUntil { world.succeeded("chat.postMessage").count == 1 })
            #expect(await eventually(timeout: .seconds(5)) { try await world.sqlite.pendingNotices().isEmpty })

            let posts = world.slack.calls(method: "chat.postMessage")
            #expect(posts.map(\.status) == statuses + [200], "\(posts)")
            let messages = world.botMessages()
            #expect(messages.count == 1)
            #expect(messages.first.map { SlackWorld.shown($0).contains("Grid rb_e1") } == true)
            #expect(world.slack.count429s == 0)
            world.expectPacing(perDM: 1, including: posts)
        }
    }

    enum BrokenToken: String, CustomTestStringConvertible, CaseIterable {
        /// `chat.postMessage` answers `invalid_auth`.
        case invalidAuth = "invalid_auth"
        /// The app was uninstalled: every call answers `token_revoked`, `conversations.open` first.
        case revoked = "token_revoked"

        var testDescription: String { rawValue }
    }

    @Test(
        "A refused token (invalid_auth, token_revoked) pauses the workspace: the notice waits, /readyz and the metric say so, auth.test probes; restored, it goes once",
        arguments: BrokenToken.allCases
    )
    func pauseThenResume(broken: BrokenToken) async throws {
        try await SlackWorld.with(Self.paced()) { world, client in
            switch broken {
            case .invalidAuth: world.slack.inject(.invalidAuth, times: nil)
            case .revoked: world.slack.revoke(world.slack.token)
            }
            try await world.sendEvent(SlackWorld.event(account: "acc_d1", robot: "rb_d1"), id: "d-1", via: client)
            #expect(
                await eventually(timeout: .seconds(10)) {
                    let ready = try await world.env.admin("/readyz")
                    return (ready.json["paused_workspaces"] as? [String: [String]])?["slack"] == [SlackWorld.teamID]
                }
            )
            let ready = try await world.env.admin("/readyz")
            #expect(ready.status == .ok, "a paused workspace does not make the replica unready")
            #expect((ready.json["channels"] as? [String: String])?["slack"] == "paused")
            // The console lists the workspace as paused, with Slack's refusal.
            let console = String(buffer: try await world.env.admin("/console").body)
            #expect(console.contains(SlackWorld.teamID) && console.contains(#"<span class="badge paused">paused</span>"#))
            #expect(console.contains(broken.rawValue))
            #expect(try await world.metrics().contains(#"rebind_channel_paused{channel="slack"} 1"#))
            // Probed with auth.test, backing off; nothing dead-lettered, the notice still pending.
            #expect(await eventually(timeout: .seconds(10)) { world.slack.calls(method: "auth.test").count >= 2 })
            #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).isEmpty)
            #expect(try await !world.sqlite.pendingNotices().isEmpty)
            #expect(world.botMessages().isEmpty)
            #expect(!(try await world.metrics()).contains(#"rebind_notices_dead_lettered_total{channel="slack"}"#))

            // The token works again: the workspace resumes by itself, the guidance goes once.
            switch broken {
            case .invalidAuth: world.slack.clearFaults()
            case .revoked: world.slack.restore(world.slack.token)
            }
            #expect(await eventually(timeout: .seconds(10)) { world.botMessages().count == 1 })
            #expect(world.botMessages().first.map { SlackWorld.shown($0).contains("rb_d1") } == true)
            #expect(
                await eventually(timeout: .seconds(10)) {
                    let ready = try await world.env.admin("/readyz")
                    return (ready.json["channels"] as? [String: String])?["slack"] == "active"
                }
            )
            #expect(try await world.metrics().contains(#"rebind_channel_paused{channel="slack"} 0"#))
            #expect(await eventually(timeout: .seconds(5)) { try await world.sqlite.pendingNotices().isEmpty })
            #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).isEmpty)
            #expect(world.slack.calls(method: "chat.postMessage").filter { $0.error == nil }.count == 1)
        }
    }

    @Test(
        "app_uninstalled deletes the workspace's installation and sealed token at once and pauses it; user-token revocations change nothing"
    )
    func uninstalled() async throws {
        try await SlackWorld.with(Self.paced()) { world, client in
            let envelope = SecretEnvelope(current: try SecretEnvelope.Key(base64: SlackWorld.envelopeKey, variable: "T"))
            try await world.sqlite.saveSlackInstallation(
                SlackInstallation(
                    teamID: SlackWorld.teamID,
                    sealedToken: try envelope.seal(world.slack.token, as: SlackInstallation.context(teamID: SlackWorld.teamID)),
                    installedAt: TestEnvironment.start
                )
            )
            func callback(_ id: String, _ event: SlackEvent) -> SlackEventCallback {
                SlackEventCallback(teamID: SlackWorld.teamID, eventID: id, event: event)
            }
            // A user's own token revoked: not Rebind's; the installation stays.
            let userTokens = try await world.postEvent(
                callback("EvU1", SlackEvent(type: "tokens_revoked", tokens: .init(oauth: ["U0TRADER01"]))),
                via: client
            )
            #expect(userTokens.status == .ok)
            #expect(try await world.sqlite.slackInstallation(teamID: SlackWorld.teamID) != nil)
            #expect((try await world.env.admin("/readyz").json["channels"] as? [String: String])?["slack"] == "active")

            // Uninstalled: Slack revokes the token and tells Rebind.
            world.slack.revoke(world.slack.token)
            let answer = try await world.postEvent(callback("EvX1", SlackEvent(type: "app_uninstalled")), via: client)
            #expect(answer.status == .ok)
            #expect(try await world.sqlite.slackInstallation(teamID: SlackWorld.teamID) == nil, "the sealed token is gone at once")
            let ready = try await world.env.admin("/readyz")
            #expect((ready.json["paused_workspaces"] as? [String: [String]])?["slack"] == [SlackWorld.teamID])
            // Slack's retry of the same event changes nothing.
            #expect(try await world.postEvent(callback("EvX1", SlackEvent(type: "app_uninstalled")), retryNum: 1, via: client).status == .ok)

            // The user's guidance waits, untried, instead of being dead-lettered.
            try await world.sendEvent(SlackWorld.event(account: "acc_u1", robot: "rb_u1"), id: "u-1", via: client)
            #expect(await eventually(timeout: .seconds(5)) { try await !world.sqlite.pendingNotices().isEmpty })
            #expect(world.slack.calls(method: "chat.postMessage").isEmpty)
            #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).isEmpty)

            // The bot is back (here through the configured token): the workspace resumes, the guidance goes once.
            world.slack.restore(world.slack.token)
            #expect(await eventually(timeout: .seconds(10)) { world.botMessages().count == 1 })
            #expect(await eventually(timeout: .seconds(5)) { try await world.sqlite.pendingNotices().isEmpty })
            #expect(try await world.sqlite.deadNotices(limit: 10, beforeID: nil).isEmpty)

            // Reinstalled, then Slack's late retry of the uninstall arrives: the new installation stays.
            let reinstall = SlackInstallation(
                teamID: SlackWorld.teamID,
                sealedToken: try envelope.seal(world.slack.token, as: SlackInstallation.context(teamID: SlackWorld.teamID)),
                installedAt: TestEnvironment.start.addingTimeInterval(600)
            )
            try await world.sqlite.saveSlackInstallation(reinstall)
            let late = SlackEventCallback(
                teamID: SlackWorld.teamID,
                eventID: "EvX1",
                eventTime: Int64(TestEnvironment.start.timeIntervalSince1970) + 60,
                event: SlackEvent(type: "app_uninstalled")
            )
            #expect(try await world.postEvent(late, retryNum: 2, via: client).status == .ok)
            #expect(try await world.sqlite.slackInstallation(teamID: SlackWorld.teamID) == reinstall)
            #expect((try await world.env.admin("/readyz").json["channels"] as? [String: String])?["slack"] == "active")
        }
    }

    @Test("A deactivated Slack user's chat is marked blocked; later incidents do not try to DM them, others' still go")
    func deactivated() async throws {
        let gone = "U0GONE0001"
        let goneUser = "u_gone"
        try await SlackWorld.with(Self.paced()) { world, client in
            world.slack.deactivate(user: gone)
            try await world.sendEvent(
                SlackWorld.event(user: goneUser, slackUser: gone, account: "acc_g1", robot: "rb_g1"),
                id: "g-1",
                via: client
            )
            #expect(await world.waitUntil { !world.opens(user: gone).isEmpty })
            #expect(world.opens(user: gone).first?.error == "user_disabled")
            // Slack's refusal is answered a moment before Rebind records it.
            #expect(await eventually(timeout: .seconds(5)) { try await world.sqlite.chats(ofUser: goneUser).isEmpty })

            // A new incident for the gone user, then one for another: the outbox takes them in
            // that order, so once the other's message is there the gone one's is settled.
            try await world.sendEvent(
                SlackWorld.event(user: goneUser, slackUser: gone, account: "acc_g2", robot: "rb_g2"),
                id: "g-2",
                via: client
            )
            try await world.sendEvent(SlackWorld.event(account: "acc_o1", robot: "rb_o1"), id: "o-1", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 1 })
            // And so do later ones.
            try await world.sendEvent(
                SlackWorld.event(user: goneUser, slackUser: gone, account: "acc_g3", robot: "rb_g3"),
                id: "g-3",
                via: client
            )
            try await world.sendEvent(SlackWorld.event(account: "acc_o2", robot: "rb_o2"), id: "o-2", via: client)
            #expect(await world.waitUntil { world.botMessages().count == 2 })
            #expect(await eventually(timeout: .seconds(5)) { try await world.sqlite.pendingNotices().isEmpty })

            #expect(world.opens(user: gone).count == 1, "\(world.opens(user: gone))")
            #expect(world.slack.directChannel(user: gone) == nil)
            #expect(world.slack.calls(method: "chat.postMessage").count == 2)
            #expect(try await world.sqlite.chats(ofUser: goneUser).isEmpty)
            #expect(world.slack.count429s == 0)
        }
    }
}

extension SlackWorld {
    /// The calls of `method` Slack carried out, in order.
    func succeeded(_ method: String) -> [FakeSlackServer.Call] {
        slack.calls(method: method).filter(\.succeeded)
    }

    /// The `conversations.open` calls for `user`.
    func opens(user: String) -> [FakeSlackServer.Call] {
        slack.calls(method: "conversations.open").filter { $0["users"]?.string == user }
    }

    /// `/metrics` from the admin listener, while the application runs.
    func metrics() async throws -> String {
        String(buffer: try await env.admin("/metrics").body)
    }

    /// Checks the arrival times of the messages sent to each DM (`chat.postMessage` and
    /// `chat.update`, or `calls`): at least about `perDM` seconds apart. The pacer times the
    /// sends and the fake their arrival, and on a loaded machine one trip over loopback can
    /// take longer than the next, hence the slack.
    func expectPacing(
        perDM: TimeInterval,
        tolerance: Double = 0.75,
        including calls: [FakeSlackServer.Call]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let messages = (calls ?? (slack.calls(method: "chat.postMessage") + slack.calls(method: "chat.update")).filter(\.succeeded))
            .sorted { $0.receivedAt < $1.receivedAt }
        var last: [String: FakeSlackServer.Call] = [:]
        for call in messages {
            guard let channel = call.channel else { continue }
            if let previous = last[channel] {
                let gap = call.receivedAt - previous.receivedAt
                #expect(gap >= perDM * tolerance, "\(channel): \(gap) s between \(previous) and \(call)", sourceLocation: sourceLocation)
            }
            last[channel] = call
        }
    }
}
