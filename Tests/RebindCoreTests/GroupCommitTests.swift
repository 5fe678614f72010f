import RebindCore
import Synchronization
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    @Test("Concurrent jobs all get their own results, in fewer batches than jobs")
    func batches() async throws {
        let batchSizes = Mutex<[Int]>([])
        let committer = GroupCommit<Int, Int>(maxBatch: 64) { jobs in
            batchSizes.withLock { $0.append(jobs.count) }
            await Task.yield()
            return jobs.map { .success($0 * 2) }
        }
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for job in 0..<500 {
                group.addTask { (job, try await committer.submit(job)) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 500)
        #expect(results.allSatisfy { $0.value == $0.key * 2 })
        let sizes = batchSizes.withLock { $0 }
        #expect(sizes.reduce(0, +) == 500)
        #expect(sizes.allSatisfy { $0 <= 64 })
    }

    @Test("Every batch is reported with its size, a failed one too, so the reports add up to the jobs")
    func reports() async throws {
        struct Boom: Error {}
        let batchSizes = Mutex<[Int]>([])
        let reports = Mutex<[CommitReport]>([])
        let committer = GroupCommit<Int, Int>(maxBatch: 16, observe: { report in reports.withLock { $0.append(report) } }) { jobs in
            let first = batchSizes.withLock { sizes in
                sizes.append(jobs.count)
                return sizes.count == 1
            }
            await Task.yield()
            if first { throw Boom() }
            return jobs.map { .success($0) }
        }
        let failed = await withTaskGroup(of: Bool.self) { group in
            for job in 0..<200 {
                group.addTask { (try? await committer.submit(job)) == nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let sizes = batchSizes.withLock { $0 }
        let reported = reports.withLock { $0 }
        #expect(reported.map(\.jobs) == sizes)
        #expect(reported.map(\.jobs).reduce(0, +) == 200)
        #expect(failed == sizes[0])
        #expect(reported.allSatisfy { $0.duration >= .zero })
    }

    @Test("A failed batch fails each of its jobs, and later jobs still run")
    func failure() async throws {
        struct Boom: Error {}
        let calls = Mutex(0)
        let committer = GroupCommit<Int, Int> { jobs in
            let call = calls.withLock { value in
                value += 1
                return value
            }
            if call == 1 { throw Boom() }
            return jobs.map { .success($0) }
        }
        await #expect(throws: Boom.self) { try await committer.submit(1) }
        #expect(try await committer.submit(2) == 2)
    }

    @Test("One job's failure does not fail its batch mates")
    func perJobFailure() async throws {
        struct Odd: Error {}
        let committer = GroupCommit<Int, Int> { jobs in
            jobs.map { $0 % 2 == 0 ? .success($0) : .failure(Odd()) }
        }
        #expect(try await committer.submit(4) == 4)
        await #expect(throws: Odd.self) { try await committer.submit(3) }
    }

    @Test("With two batches allowed in flight, a second starts while the first waits, and never a third")
    func concurrentBatches() async throws {
        let (started, start) = AsyncStream.makeStream(of: Int.self)
        let inFlight = Mutex((now: 0, most: 0))
        let overlapped = Mutex(false)
        let committer = GroupCommit<Int, Int>(maxBatch: 8, maxConcurrent: 2) { jobs in
            inFlight.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            defer { inFlight.withLock { $0.now -= 1 } }
            start.yield(jobs[0])
            if jobs == [0] {
                // The first batch holds its place until another batch has started (or gives
                // up after 10 s: with one place the test then fails instead of hanging).
                let seen = await withTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        for await job in started where job != 0 { return true }
                        return false
                    }
                    group.addTask {
                        try? await Task.sleep(for: .seconds(10))
                        return false
                    }
                    let first = await group.next() ?? false
                    group.cancelAll()
                    return first
                }
                overlapped.withLock { $0 = seen }
            }
            return jobs.map { .success($0) }
        }
        let first = Task { try await committer.submit(0) }
        // Let the first job take its place before the others arrive.
        while inFlight.withLock({ $0.now }) == 0 { await Task.yield() }
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for job in 1..<50 { group.addTask { try await committer.submit(job) } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(try await first.value == 0)
        #expect(results.sorted() == Array(1..<50))
        #expect(overlapped.withLock { $0 })
        #expect(inFlight.withLock { $0.most } == 2)
    }
}
