import Foundation
import RebindCore
import Testing

@Suite("Delivery pacing and retries")
struct DeliveryPacerTests {
    let start = Date(timeIntervalSince1970: 1_795_685_400)
    let alice = ChatAddress(channel: .telegram, id: "1")
    let bob = ChatAddress(channel: .telegram, id: "2")

    @Test("One chat gets at most one message per interval")
    func perChat() {
        var pacer = DeliveryPacer(perChatInterval: 1, globalRate: 100)
        #expect(pacer.earliest(for: alice, now: start) == nil)
        pacer.record(alice, now: start)
        #expect(pacer.earliest(for: alice, now: start.addingTimeInterval(0.5)) == start.addingTimeInterval(1))
        #expect(pacer.earliest(for: bob, now: start.addingTimeInterval(0.5)) == nil)
        #expect(pacer.earliest(for: alice, now: start.addingTimeInterval(1)) == nil)
    }

    @Test("The global rate holds across chats after the burst")
    func global() {
        var pacer = DeliveryPacer(perChatInterval: 1, globalRate: 10, burst: 2)
        var now = start
        var sent = 0
        // Simulate a sender that sends whenever allowed, over 10 simulated seconds.
        var chat = 0
        var steps = 0
        while now < start.addingTimeInterval(10), steps < 10_000 {
            steps += 1
            let address = ChatAddress(channel: .telegram, id: String(chat))
            if let next = pacer.earliest(for: address, now: now) {
                now = next
                continue
            }
            pacer.record(address, now: now)
            sent += 1
            chat += 1
        }
        #expect(steps < 10_000)
        #expect(sent >= 100 && sent <= 102)
    }

    @Test("A 429 holds that chat until retry_after")
    func hold() {
        var pacer = DeliveryPacer()
        pacer.hold(alice, until: start.addingTimeInterval(30))
        #expect(pacer.earliest(for: alice, now: start) == start.addingTimeInterval(30))
        #expect(pacer.earliest(for: bob, now: start) == nil)
    }

    @Test("Backoff grows, jitters within bounds, and gives up after the time limit")
    func backoff() {
        let policy = RetryPolicy(initialDelay: 1, maximumDelay: 60, giveUpAfter: 300)
        #expect(policy.nextAttempt(attempts: 1, firstAttemptAt: start, now: start, jitter: 0) == start.addingTimeInterval(0.5))
        #expect(policy.nextAttempt(attempts: 1, firstAttemptAt: start, now: start, jitter: 1) == start.addingTimeInterval(1))
        #expect(policy.nextAttempt(attempts: 4, firstAttemptAt: start, now: start, jitter: 1) == start.addingTimeInterval(8))
        #expect(policy.nextAttempt(attempts: 20, firstAttemptAt: start, now: start, jitter: 1) == start.addingTimeInterval(60))
        #expect(policy.nextAttempt(attempts: 20, firstAttemptAt: start, now: start.addingTimeInterval(250), jitter: 1) == nil)
    }
}
