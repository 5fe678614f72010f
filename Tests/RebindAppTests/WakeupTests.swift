import Testing

@testable import RebindApp

@Suite("Waking background services")
struct WakeupTests {
    @Test("An idle wait lasts its timeout every time, not only the first")
    func idleWaitsSleep() async {
        let wakeup = Wakeup()
        for _ in 0..<3 {
            let started = ContinuousClock.now
            await wakeup.wait(timeout: .milliseconds(50))
            #expect(ContinuousClock.now - started >= .milliseconds(45))
        }
    }

    @Test("A poke ends a wait at once, and a poke while nobody waits ends the next wait")
    func pokes() async {
        let wakeup = Wakeup()
        wakeup.poke()
        wakeup.poke()
        var started = ContinuousClock.now
        await wakeup.wait(timeout: .seconds(10))
        #expect(ContinuousClock.now - started < .seconds(5))
        // Two pokes are kept as one.
        started = ContinuousClock.now
        await wakeup.wait(timeout: .milliseconds(50))
        #expect(ContinuousClock.now - started >= .milliseconds(45))

        started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await wakeup.wait(timeout: .seconds(10)) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(20))
                wakeup.poke()
            }
            await group.waitForAll()
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
