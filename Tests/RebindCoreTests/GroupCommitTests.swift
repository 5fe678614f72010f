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
}
