import Foundation
import RebindCore
import Testing

@Suite("What a notice becomes per chat")
struct NoticePlanTests {
    let now = Date(timeIntervalSince1970: 1_795_685_400)
    let telegram = ChatAddress(channel: .telegram, id: "555")
    let slack = ChatAddress.slack(teamID: "T1", userID: "U1")

    func incident(resolved: Bool = false) -> Incident {
        Incident(
            id: "inc_1",
            userID: "u_1",
            accountID: "acc_1",
            exchange: "binance",
            cause: .keyDeleted,
            totals: .init(robots: 1, halted: 1),
            reason: .init(text: "API deleted"),
            openedAt: now,
            announceAt: now,
            resolvedAt: resolved ? now : nil,
            resolution: resolved ? .robotsResumed : nil
        )
    }

    func due(_ notice: IncidentNotice, reminder: Bool = false) -> DueNotice {
        DueNotice(id: 1, notice: notice, isReminder: reminder, attempts: 0, firstAttemptAt: nil)
    }

    @Test("A first message goes to every chat that has none yet; one already sent is not sent twice")
    func announce() {
        let plan = NoticePlan(
            due(.announce(incidentID: "inc_1", at: now)),
            incident: incident(),
            targets: [.init(chat: telegram, messageID: nil), .init(chat: slack, messageID: "1700.1")]
        )
        #expect(plan == .steps([.init(chat: telegram, action: .send(.guidance))]))
    }

    @Test("A reminder is sent again to every chat, even one that has the first message")
    func reminder() {
        let plan = NoticePlan(
            due(.announce(incidentID: "inc_1", at: now), reminder: true),
            incident: incident(),
            targets: [.init(chat: telegram, messageID: "7"), .init(chat: slack, messageID: nil)]
        )
        #expect(plan == .steps([.init(chat: telegram, action: .send(.reminder)), .init(chat: slack, action: .send(.reminder))]))
    }

    @Test("Updates and resolutions edit the message each chat has, and skip chats that have none")
    func edits() {
        let targets: [DeliveryTarget] = [.init(chat: telegram, messageID: "7"), .init(chat: slack, messageID: nil)]
        #expect(
            NoticePlan(due(.update(incidentID: "inc_1")), incident: incident(), targets: targets)
                == .steps([.init(chat: telegram, action: .edit(messageID: "7", .guidance))])
        )
        #expect(
            NoticePlan(due(.resolve(incidentID: "inc_1")), incident: incident(resolved: true), targets: targets)
                == .steps([.init(chat: telegram, action: .edit(messageID: "7", .resolved))])
        )
        // An update that arrives after the resolution changes nothing.
        #expect(NoticePlan(due(.update(incidentID: "inc_1")), incident: incident(resolved: true), targets: targets) == .complete)
    }

    @Test("With no chat, a first message waits for a link; anything else is done")
    func noChat() {
        #expect(NoticePlan(due(.announce(incidentID: "inc_1", at: now)), incident: incident(), targets: []) == .park)
        #expect(NoticePlan(due(.announce(incidentID: "inc_1", at: now), reminder: true), incident: incident(), targets: []) == .complete)
        #expect(NoticePlan(due(.announce(incidentID: "inc_1", at: now)), incident: incident(resolved: true), targets: []) == .complete)
        #expect(NoticePlan(due(.resolve(incidentID: "inc_1")), incident: incident(resolved: true), targets: []) == .complete)
    }

    @Test("A withdrawn or vanished incident sends nothing")
    func nothing() {
        let targets: [DeliveryTarget] = [.init(chat: telegram, messageID: nil)]
        #expect(NoticePlan(due(.withdraw(incidentID: "inc_1")), incident: incident(resolved: true), targets: targets) == .complete)
        #expect(NoticePlan(due(.announce(incidentID: "inc_1", at: now)), incident: nil, targets: targets) == .complete)
    }
}

@Suite("What an outbox does after a failure")
struct OutboxFailureTests {
    let start = Date(timeIntervalSince1970: 1_795_685_400)
    let policy = RetryPolicy(initialDelay: 1, maximumDelay: 60, giveUpAfter: 300)

    @Test("A first failure is retried with backoff and counted; the first attempt's time is kept")
    func retried() {
        #expect(
            policy.afterFailure(previousAttempts: 0, firstAttemptAt: nil, now: start, jitter: 1)
                == .retry(at: start.addingTimeInterval(1), attempts: 1, firstAttemptAt: start)
        )
        let later = start.addingTimeInterval(30)
        #expect(
            policy.afterFailure(previousAttempts: 3, firstAttemptAt: start, now: later, jitter: 1)
                == .retry(at: later.addingTimeInterval(8), attempts: 4, firstAttemptAt: start)
        )
    }

    @Test("A receiver's Retry-After is honoured, but never past the time limit")
    func retryAfter() {
        #expect(
            policy.afterFailure(previousAttempts: 0, firstAttemptAt: nil, retryAfter: 42, now: start, jitter: 0)
                == .retry(at: start.addingTimeInterval(42), attempts: 1, firstAttemptAt: start)
        )
        let late = start.addingTimeInterval(290)
        #expect(
            policy.afterFailure(previousAttempts: 5, firstAttemptAt: start, retryAfter: 120, now: late, jitter: 0)
                == .retry(at: start.addingTimeInterval(300), attempts: 6, firstAttemptAt: start)
        )
    }

    @Test("Past the time limit the item is dead-lettered, with every attempt counted")
    func deadLettered() {
        #expect(
            policy.afterFailure(previousAttempts: 9, firstAttemptAt: start, now: start.addingTimeInterval(300), jitter: 0)
                == .deadLetter(attempts: 10)
        )
    }
}
