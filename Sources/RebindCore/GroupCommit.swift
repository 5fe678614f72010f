/// Commits concurrent writes together. The first caller to arrive becomes the leader and
/// writes its job along with every job that queued meanwhile, in one transaction; when it is
/// done it hands leadership to the next waiter. Under load a single commit (and its fsync)
/// serves many requests; with no load a job is written at once, without waiting.
public actor GroupCommit<Job: Sendable, Outcome: Sendable> {
    public typealias Write = @Sendable ([Job]) async throws -> [Result<Outcome, any Error>]

    private enum Signal: Sendable {
        case done(Result<Outcome, any Error>)
        case lead
    }

    private struct Waiter {
        var job: Job
        var continuation: CheckedContinuation<Signal, Never>
    }

    private let maxBatch: Int
    private let write: Write
    private var waiters: [Waiter] = []
    private var leading = false

    /// - Parameter write: writes a batch in one transaction and returns one result per job,
    ///   in order. Throwing fails the whole batch.
    public init(maxBatch: Int = 256, write: @escaping Write) {
        self.maxBatch = max(1, maxBatch)
        self.write = write
    }

    public func submit(_ job: Job) async throws -> Outcome {
        if leading {
            let signal = await withCheckedContinuation { continuation in
                waiters.append(Waiter(job: job, continuation: continuation))
            }
            if case .done(let result) = signal { return try result.get() }
            // Handed leadership: our job was taken off the queue and is written below.
        }
        leading = true
        let followers = Array(waiters.prefix(maxBatch - 1))
        waiters.removeFirst(followers.count)

        let results: [Result<Outcome, any Error>]
        do {
            let written = try await write([job] + followers.map(\.job))
            precondition(written.count == followers.count + 1, "a batch write must return one result per job")
            results = written
        } catch {
            results = Array(repeating: .failure(error), count: followers.count + 1)
        }

        for (follower, result) in zip(followers, results.dropFirst()) {
            follower.continuation.resume(returning: .done(result))
        }
        if waiters.isEmpty {
            leading = false
        } else {
            waiters.removeFirst().continuation.resume(returning: .lead)
        }
        return try results[0].get()
    }
}
