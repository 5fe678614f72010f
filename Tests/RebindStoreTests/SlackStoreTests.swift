import Foundation
import RebindCore
import Testing

@Suite("Store, Slack side")
struct SlackStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)

    func paused(_ id: String, telegram: Int64?, slack: RobotEvent.SlackIdentity?) -> IncomingEvent {
        let event = RobotEvent(
            type: .robotPaused,
            occurredAt: now,
            user: .init(id: "u_1", telegramChatId: telegram, slack: slack),
            account: .init(id: "acc_1", exchange: "binance"),
            robot: .init(id: "rb_1", name: "Grid"),
            reason: .init(text: "API expired or no permission")
        )
        return IncomingEvent(id: id, event: event, cause: .keyExpired, body: Data("{}".utf8), receivedAt: now)
    }

    @Test(
        "A Slack user named by the platform's event is one of the user's chats, beside Telegram, and identifies the user",
        arguments: StoreKind.available
    )
    func slackFromEvent(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            _ = try await store.ingest(paused("e1", telegram: 42, slack: .init(teamId: "T1", userId: "U1")))
            let slack = ChatAddress.slack(teamID: "T1", userID: "U1")
            #expect(try await store.chats(ofUser: "u_1") == [ChatAddress(channel: .telegram, id: "42"), slack])
            #expect(try await store.userID(linkedTo: slack) == "u_1")
            #expect(try await store.userID(linkedTo: .slack(teamID: "T1", userID: "U2")) == nil)
            // A user who blocked the bot in Slack is not written to there any more.
            try await store.markBlocked(slack, now: now)
            #expect(try await store.chats(ofUser: "u_1") == [ChatAddress(channel: .telegram, id: "42")])
            // Still the user's own chat: `/rebind update` and `/rebind status` keep working there.
            #expect(try await store.userID(linkedTo: slack) == "u_1")
            // The user writes to the bot again: written to again.
            try await store.unblock(slack)
            #expect(Set(try await store.chats(ofUser: "u_1")) == [ChatAddress(channel: .telegram, id: "42"), slack])
        }
    }

    @Test("A workspace's installation is kept sealed; a reinstall replaces its token", arguments: StoreKind.available)
    func installations(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            #expect(try await store.slackInstallation(teamID: "T1") == nil)
            let first = SlackInstallation(
                teamID: "T1",
                teamName: "Desk",
                botUserID: "B1",
                sealedToken: SealedData(keyID: "k", data: Data([1])),
                installedAt: now
            )
            try await store.saveSlackInstallation(first)
            #expect(try await store.slackInstallation(teamID: "T1") == first)
            var second = first
            second.sealedToken = SealedData(keyID: "k", data: Data([2]))
            try await store.saveSlackInstallation(second)
            #expect(try await store.slackInstallation(teamID: "T1") == second)
        }
    }

    @Test("An uninstall deletes that workspace's installation, its sealed token with it, and no other", arguments: StoreKind.available)
    func uninstall(_ kind: StoreKind) async throws {
        try await withStore(kind) { store in
            for team in ["T1", "T2"] {
                try await store.saveSlackInstallation(
                    SlackInstallation(teamID: team, sealedToken: SealedData(keyID: "k", data: Data(team.utf8)), installedAt: now)
                )
            }
            #expect(try await store.deleteSlackInstallation(teamID: "T1"))
            #expect(try await store.slackInstallation(teamID: "T1") == nil)
            #expect(try await store.slackInstallation(teamID: "T2") != nil)
            // Slack's retry of the event: nothing left to delete.
            #expect(try await !store.deleteSlackInstallation(teamID: "T1"))
        }
    }
}
