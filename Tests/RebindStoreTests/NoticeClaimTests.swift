import Foundation
import RebindCore
import Testing

@Suite("Store, claiming notices for delivery")
struct NoticeClaimTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let policy = IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 1)

    func event(_ id: String, _ type: EventType, user: String, at: Date) -> IncomingEvent {
        let halted = type == .robotPaused
        let event = RobotEvent(
            type: type,
            occurredAt: at,
            user: .init(id: user, telegramChatId: Int64(user.dropFirst(2)).map { 500 + $0 }),
            account: .init(id: "acc_\(user)", exchange: "binance"),
            robot: .init(id: "rb_1", name: "Grid"),
            reason: halted ? .init(text: "API expired or no permission") : nil
        )
        return IncomingEvent(id: id, event: event, cause: halted ? .keyExpired : nil, body: Data("{}".utf8), receivedAt: at)
    }

    func chat(_ user: Int) -> ChatAddress { ChatAddress(channel: .telegram, id: String(500 + user)) }

    @Test("Claims take resolutions, then first messages, then reminders, and lease what they take", arguments: StoreKind.available)
    func priorityAndLease(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            // u_1 and u_2 were told; u_3 is new. u_1's robot comes back; u_2 is due a reminder.
            for user in 1...2 { _ = try await store.ingest(event("p\(user)", .robotPaused, user: "u_\(user)", at: now)) }
            let announced = try await store.claimNotices(now: now.addingTimeInterval(10), limit: 10, leaseUntil: now.addingTimeInterval(70))
            #expect(announced.count == 2)
            try await store.completeNotices(
                zip(1...2, announced).map { user, due in
                    DeliveredNotice(id: due.id, incidentID: due.notice.incidentID, sent: (chat(user), "m\(user)"))
                }
            )
            let later = now.addingTimeInterval(3610)
            _ = try await store.ingest(event("p3", .robotPaused, user: "u_3", at: later.addingTimeInterval(-10)))
            _ = try await store.ingest(event("r1", .robotResumed, user: "u_1", at: later))
            #expect(try await store.scheduleReminders(policy: IncidentPolicy(groupWait: 10, repeatInterval: 3600, maxReminders: 1), now: later) == 1)

            let claimed = try await store.claimNotices(now: later, limit: 10, leaseUntil: later.addingTimeInterval(60))
            #expect(
                claimed.map(\.notice) == [.resolve(incidentID: "p1"), .announce(incidentID: "p3", at: later), .announce(incidentID: "p2", at: later)]
            )
            #expect(claimed.map(\.isReminder) == [false, false, true])
            // Taken: not again until the lease runs out.
            #expect(try await store.claimNotices(now: later.addingTimeInterval(59), limit: 10, leaseUntil: later.addingTimeInterval(120)).isEmpty)
            let again = try await store.claimNotices(now: later.addingTimeInterval(60), limit: 2, leaseUntil: later.addingTimeInterval(120))
            #expect(again.map(\.id) == Array(claimed.map(\.id).prefix(2)))
        }
    }

    @Test("A deferred notice keeps its attempts; a completed one records its message in the same write", arguments: StoreKind.available)
    func deferAndComplete(_ kind: StoreKind) async throws {
        try await withStore(kind, policy: policy) { store in
            _ = try await store.ingest(event("p1", .robotPaused, user: "u_1", at: now))
            let due = try #require(
                try await store.claimNotices(now: now.addingTimeInterval(10), limit: 10, leaseUntil: now.addingTimeInterval(70)).first
            )
            try await store.retryNotice(
                id: due.id,
                at: now.addingTimeInterval(11),
                attempts: 2,
                firstAttemptAt: now.addingTimeInterval(10),
                error: "HTTP 502"
            )
            try await store.deferNotice(id: due.id, at: now.addingTimeInterval(20))
            #expect(try await store.dueNotices(now: now.addingTimeInterval(19), limit: 10).isEmpty)
            let deferred = try #require(try await store.dueNotices(now: now.addingTimeInterval(20), limit: 10).first)
            #expect(deferred.attempts == 2)
            #expect(deferred.firstAttemptAt == now.addingTimeInterval(10))

            #expect(try await store.deliveryTargets(ofUser: "u_1", incidentID: "p1") == [DeliveryTarget(chat: chat(1), messageID: nil)])
            try await store.completeNotices([DeliveredNotice(id: due.id, incidentID: "p1", sent: (chat(1), "77"))])
            #expect(try await store.deliveryTargets(ofUser: "u_1", incidentID: "p1") == [DeliveryTarget(chat: chat(1), messageID: "77")])
            #expect(try await store.dueNotices(now: now.addingTimeInterval(99), limit: 10).isEmpty)
            let contexts = try await store.deliveryContexts(incidentIDs: ["p1", "unknown", "p1"], robotLimit: 20)
            #expect(contexts.keys.sorted() == ["p1"])
            #expect(contexts["p1"]?.incident.userID == "u_1")
            #expect(contexts["p1"]?.robots.count == 1)
            #expect(contexts["p1"]?.targets == [DeliveryTarget(chat: chat(1), messageID: "77")])
            // A blocked chat is no target.
            try await store.markBlocked(chat(1), now: now)
            #expect(try await store.deliveryTargets(ofUser: "u_1", incidentID: "p1").isEmpty)
        }
    }
}
