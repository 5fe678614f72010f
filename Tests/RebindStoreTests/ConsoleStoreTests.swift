import Foundation
import RebindCore
import Testing

/// The console's reads (DESIGN §11) on both stores: pages by keyset, filters, one incident in
/// full with its delivery attempts, bindings by days left, the overview's counts.
@Suite("Store, the console's queries")
struct ConsoleStoreTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let day: TimeInterval = 86_400
    let policy = IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 2)

    func event(
        _ id: String,
        _ type: EventType = .robotPaused,
        user: String,
        account: String,
        robot: String = "rb_1",
        at offset: TimeInterval,
        boundDaysAgo: Double? = nil
    ) -> IncomingEvent {
        let at = now.addingTimeInterval(offset)
        let event = RobotEvent(
            type: type,
            occurredAt: at,
            user: .init(id: user, telegramChatId: 555),
            account: .init(
                id: account,
                exchange: "binance",
                label: "Main",
                apiKeyHint: "h8A",
                boundAt: boundDaysAgo.map { now.addingTimeInterval(-$0 * day) }
            ),
            robot: .init(id: robot, name: "Grid \(robot)"),
            reason: type == .robotResumed ? nil : .init(text: "API expired or no permission")
        )
        return IncomingEvent(id: id, event: event, cause: type == .robotResumed ? nil : .keyExpired, body: Data("{}".utf8), receivedAt: at)
    }

    @Test("Incidents come newest first, a page at a time by keyset, filtered by user, account and state", arguments: StoreKind.available)
    func incidentPages(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            // Five accounts of two users, opened a minute apart; the second is resolved.
            for index in 0..<5 {
                _ = try await store.ingest(event("e\(index)", user: index % 2 == 0 ? "u_a" : "u_b", account: "acc_\(index)", at: Double(index) * 60))
            }
            _ = try await store.ingest(event("e1_resumed", .robotResumed, user: "u_b", account: "acc_1", at: 400))

            var seen: [String] = []
            var cursor: ConsoleIncidentCursor?
            repeat {
                let page = try await store.consoleIncidents(.init(), after: cursor, limit: 2)
                #expect(page.count <= 2)
                seen += page.map(\.accountID)
                cursor = page.count == 2 ? page.last?.cursor : nil
            } while cursor != nil
            #expect(seen == ["acc_4", "acc_3", "acc_2", "acc_1", "acc_0"], "newest first, each once")

            let userA = try await store.consoleIncidents(.init(userID: "u_a"), after: nil, limit: 10)
            #expect(userA.map(\.accountID) == ["acc_4", "acc_2", "acc_0"])
            let account = try await store.consoleIncidents(.init(accountID: "acc_3"), after: nil, limit: 10)
            #expect(account.map(\.userID) == ["u_b"])
            let resolved = try await store.consoleIncidents(.init(state: .resolved), after: nil, limit: 10)
            #expect(resolved.map(\.accountID) == ["acc_1"])
            #expect(resolved.first?.resolution == "robots_resumed")
            let open = try await store.consoleIncidents(.init(userID: "u_b", state: .open), after: nil, limit: 10)
            #expect(open.map(\.accountID) == ["acc_3"])
            // The cursor survives its round trip through a link.
            let first = try #require(try await store.consoleIncidents(.init(), after: nil, limit: 1).first)
            let token = try #require(ConsoleIncidentCursor(token: first.cursor.token))
            #expect(try await store.consoleIncidents(.init(), after: token, limit: 1).first?.accountID == "acc_3")
        }
    }

    @Test(
        "One incident in full: the account's events while it was open, each notice with its attempts, the user's chats",
        arguments: StoreKind.available
    )
    func incidentDetail(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            _ = try await store.ingest(event("e_before", .robotResumed, user: "u_a", account: "acc_1", at: -600))
            _ = try await store.ingest(event("e_open", user: "u_a", account: "acc_1", robot: "rb_1", at: 0))
            _ = try await store.ingest(event("e_more", user: "u_a", account: "acc_1", robot: "rb_2", at: 5))
            _ = try await store.ingest(event("e_other", user: "u_a", account: "acc_other", at: 6))
            let incident = try #require(try await store.openIncidents(ofUser: "u_a").first { $0.accountID == "acc_1" })
            let due = try #require(
                try await store.dueNotices(now: now.addingTimeInterval(20), limit: 10).first { $0.notice.incidentID == incident.id }
            )
            let chat = ChatAddress(channel: .telegram, id: "555")
            try await store.recordNoticeAttempts([
                NoticeAttempt(noticeID: due.id, chat: chat, at: now.addingTimeInterval(21), failure: .transient(reason: "sendMessage: HTTP 502")),
                NoticeAttempt(noticeID: due.id, chat: chat, at: now.addingTimeInterval(23), failure: nil),
            ])
            try await store.completeNotice(id: due.id)
            #expect(
                try await store.createLink(
                    NewLink(tokenHash: "h", userID: "u_a", displayName: "A", webhookID: "w", expiresAt: now.addingTimeInterval(day)),
                    now: now
                )
            )
            _ = try await store.redeemLink(tokenHash: "h", chat: chat, now: now)
            try await store.saveConversation(SealedData(keyID: "k1", data: Data([9, 9])), chat: chat, activeAt: now.addingTimeInterval(30))

            let detail = try #require(try await store.consoleIncident(id: incident.id, eventLimit: 10))
            #expect(detail.incident.robotCount == 2)
            #expect(detail.reason == "API expired or no permission")
            #expect(detail.events.map(\.webhookID) == ["e_more", "e_open"], "newest first; not before it opened, not another account's")
            #expect(try await store.consoleIncident(id: incident.id, eventLimit: 1)?.events.map(\.webhookID) == ["e_more"])
            let notice = try #require(detail.notices.first { $0.id == due.id })
            #expect(notice.status == "sent")
            #expect(notice.attempts.map(\.outcome) == [.transient, .delivered])
            #expect(notice.attempts.first?.error?.contains("502") == true)
            #expect(notice.attempts.allSatisfy { $0.chat == chat })
            #expect(detail.chats.map(\.chat) == [chat])
            #expect(detail.chats.first?.conversation == SealedData(keyID: "k1", data: Data([9, 9])))
            #expect(try await store.consoleIncident(id: "inc_none", eventLimit: 10) == nil)
        }
    }

    @Test("Bindings come soonest expiry first, by keyset; the overview counts what it shows", arguments: StoreKind.available)
    func bindingsAndOverview(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            // Binance keys trade 60 days: bound 58, 50 and 20 days ago leave 2, 10 and 40 days.
            for (account, days) in [("acc_2d", 58.0), ("acc_10d", 50.0), ("acc_40d", 20.0)] {
                _ = try await store.ingest(event("b_\(account)", .apiBindingCreated, user: "u_a", account: account, at: 0, boundDaysAgo: days))
            }
            let first = try await store.consoleBindings(after: nil, limit: 2)
            #expect(first.map(\.accountID) == ["acc_2d", "acc_10d"])
            #expect(first.first?.keyHint == "h8A")
            let rest = try await store.consoleBindings(after: first.last?.cursor, limit: 2)
            #expect(rest.map(\.accountID) == ["acc_40d"])
            #expect(try await store.consoleBindings(after: rest.last?.cursor, limit: 2).isEmpty)

            _ = try await store.ingest(event("p1", user: "u_a", account: "acc_2d", at: 60))
            let incident = try #require(try await store.openIncidents(ofUser: "u_a").first)
            let overview = try await store.consoleOverview(now: now.addingTimeInterval(3600), expiringWithin: 7 * day)
            #expect(overview.eventsToday == 4)
            #expect(overview.incidentsOpenedToday == 1)
            #expect(overview.openIncidents == 1)
            #expect(overview.pendingNotices >= 1)
            #expect(overview.oldestPendingDueAt == incident.announceAt)
            #expect(overview.deadNotices == 0)
            #expect(overview.expiringBindings == 1, "only the key with 2 days left runs out within 7")
        }
    }
}
