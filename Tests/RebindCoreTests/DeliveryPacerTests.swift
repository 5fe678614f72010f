import Foundation
import RebindCore
import Testing

@Suite("Delivery pacing and retries")
struct DeliveryPacerTests {
    let start = Date(timeIntervalSince1970: 1_795_685_400)
    /// Any instant will do: the pacer never reads a clock itself.
    let t0 = ContinuousClock.now
    let alice = ChatAddress(channel: .telegram, id: "1")
    let bob = ChatAddress(channel: .telegram, id: "2")

    @Test("One chat gets at most one message per interval")
    func perChat() {
        var pacer = DeliveryPacer(perChatInterval: .seconds(1), globalRate: 100)
        #expect(pacer.reserve(alice, now: t0) == .sendAt(t0))
        #expect(pacer.reserve(alice, now: t0 + .milliseconds(500)) == .chatBusyUntil(t0 + .seconds(1)))
        #expect(pacer.reserve(bob, now: t0 + .milliseconds(500)) == .sendAt(t0 + .milliseconds(500)))
        #expect(pacer.reserve(alice, now: t0 + .seconds(1)) == .sendAt(t0 + .seconds(1)))
    }

    @Test("A send that went late pushes the chat's next slot back by as much")
    func lateSend() {
        var pacer = DeliveryPacer(perChatInterval: .seconds(1), globalRate: 100)
        #expect(pacer.reserve(alice, now: t0) == .sendAt(t0))
        pacer.sent(alice, at: t0 + .milliseconds(300))
        #expect(pacer.reserve(alice, now: t0 + .seconds(1)) == .chatBusyUntil(t0 + .milliseconds(1300)))
    }

    @Test("Slots across chats keep the global rate after the burst, in the order asked")
    func global() {
        var pacer = DeliveryPacer(perChatInterval: .seconds(1), globalRate: 10, burst: 2)
        var slots: [ContinuousClock.Instant] = []
        for chat in 0..<200 {
            guard case .sendAt(let slot) = pacer.reserve(ChatAddress(channel: .telegram, id: String(chat)), now: t0) else {
                Issue.record("a fresh chat was busy")
                return
            }
            slots.append(slot)
        }
        #expect(slots == slots.sorted())
        #expect(slots.prefix(2).allSatisfy { $0 == t0 })
        // 2 at once, then one every 100 ms: 101 slots in the first 10 seconds.
        #expect(slots.count(where: { $0 < t0 + .seconds(10) }) == 101)
        for (earlier, later) in zip(slots.dropFirst(), slots.dropFirst(2)) {
            #expect(later - earlier == .milliseconds(100))
        }
        // Booked 19.8 s ahead of t0 beyond the burst; nothing is booked once time catches up.
        #expect(pacer.backlog(now: t0) > .seconds(19))
        #expect(pacer.backlog(now: t0 + .seconds(30)) == .zero)
        #expect(pacer.reserve(alice, now: t0 + .seconds(30)) == .sendAt(t0 + .seconds(30)))
    }

    @Test("After a quiet spell the burst is available again, never more")
    func burstRefills() {
        var pacer = DeliveryPacer(perChatInterval: .seconds(1), globalRate: 10, burst: 3)
        for chat in 0..<10 { _ = pacer.reserve(ChatAddress(channel: .telegram, id: String(chat)), now: t0) }
        let later = t0 + .seconds(60)
        let slots = (10..<15).map { pacer.reserve(ChatAddress(channel: .telegram, id: String($0)), now: later) }
        #expect(slots == [.sendAt(later), .sendAt(later), .sendAt(later), .sendAt(later + .milliseconds(100)), .sendAt(later + .milliseconds(200))])
    }

    @Test("A reply goes at once inside the chat's interval, but not through a 429 hold")
    func replies() {
        var pacer = DeliveryPacer(perChatInterval: .seconds(1), globalRate: 10, burst: 1)
        #expect(pacer.reserve(alice, now: t0) == .sendAt(t0))
        // The user is waiting: the reply does not wait out the notice's interval.
        #expect(pacer.reserveReply(alice, now: t0 + .milliseconds(10)) == .sendAt(t0 + .milliseconds(10)))
        // It took a global slot: the next notice to anyone goes one slot later than it would have.
        #expect(pacer.reserve(bob, now: t0 + .milliseconds(10)) == .sendAt(t0 + .milliseconds(200)))
        // And the chat's next notice waits a whole interval after the reply.
        #expect(pacer.reserve(alice, now: t0 + .milliseconds(500)) == .chatBusyUntil(t0 + .milliseconds(1010)))
        pacer.hold(alice, until: t0 + .seconds(30))
        #expect(pacer.reserveReply(alice, now: t0 + .seconds(2)) == .chatBusyUntil(t0 + .seconds(30)))
        #expect(pacer.reserveReply(alice, now: t0 + .seconds(30)) == .sendAt(t0 + .seconds(30)))
    }

    @Test("A 429 holds that chat until retry_after, and only that chat")
    func hold() {
        var pacer = DeliveryPacer()
        pacer.hold(alice, until: t0 + .seconds(30))
        #expect(pacer.reserve(alice, now: t0) == .chatBusyUntil(t0 + .seconds(30)))
        #expect(pacer.reserve(bob, now: t0) == .sendAt(t0))
        pacer.prune(now: t0 + .seconds(5))
        #expect(pacer.trackedChats == 1)
        pacer.prune(now: t0 + .seconds(31))
        #expect(pacer.trackedChats == 0)
    }

    @Test("Backoff grows, jitters within bounds, and retries until the time limit, then gives up")
    func backoff() {
        let policy = RetryPolicy(initialDelay: 1, maximumDelay: 60, giveUpAfter: 300)
        #expect(policy.nextAttempt(attempts: 1, firstAttemptAt: start, now: start, jitter: 0) == start.addingTimeInterval(0.5))
        #expect(policy.nextAttempt(attempts: 1, firstAttemptAt: start, now: start, jitter: 1) == start.addingTimeInterval(1))
        #expect(policy.nextAttempt(attempts: 4, firstAttemptAt: start, now: start, jitter: 1) == start.addingTimeInterval(8))
        #expect(policy.nextAttempt(attempts: 20, firstAttemptAt: start, now: start, jitter: 1) == start.addingTimeInterval(60))
        // The last try is at the limit, not a backoff step short of it; after it, none.
        #expect(
            policy.nextAttempt(attempts: 20, firstAttemptAt: start, now: start.addingTimeInterval(250), jitter: 1) == start.addingTimeInterval(300)
        )
        #expect(policy.nextAttempt(attempts: 21, firstAttemptAt: start, now: start.addingTimeInterval(300), jitter: 0) == nil)
    }
}
