/// One batch's write, as `GroupCommit` reports it: how many jobs it carried and how long the
/// write took, from handing the batch to the store until it returned (the transaction, and the
/// hops to the store's writer and back).
public struct CommitReport: Sendable, Equatable {
    public var jobs: Int
    public var duration: Duration

    public init(jobs: Int, duration: Duration) {
        self.jobs = jobs
        self.duration = duration
    }
}

/// Commits concurrent writes together. The first caller to arrive becomes the leader and
/// writes its job along with every job that queued meanwhile, in one transaction; when it is
/// done it hands leadership to the next waiter. Under load a single commit (and its fsync)
/// serves many requests; with no load a job is written at once (after one yield to the jobs
/// already queued on the actor, which join it), without waiting for a timer. Up to
/// `maxConcurrent` batches may be in flight at once (a store whose batch mostly waits on round
/// trips to a server keeps it busy with the next; SQLite's single writer keeps one).
///
/// Every event goes through `submit`, so it is inlinable: the stores, in other modules, get it
/// specialised for their job and outcome instead of running it generically (generic metadata,
/// key paths and witness calls were 4 % of an event's CPU, bench/README.md, issue 15).
public actor GroupCommit<Job: Sendable, Outcome: Sendable> {
    public typealias Write = @Sendable ([Job]) async throws -> [Result<Outcome, any Error>]

    @usableFromInline
    enum Signal: Sendable {
        case done(Result<Outcome, any Error>)
        case lead
    }

    /// A job waiting for a leader. Its continuation is resumed exactly once: by the leader
    /// that takes it into a batch (with the job's result) or hands it leadership.
    @usableFromInline
    struct Waiter {
        @usableFromInline var job: Job
        @usableFromInline var continuation: UnsafeContinuation<Signal, Never>

        @inlinable
        init(job: Job, continuation: UnsafeContinuation<Signal, Never>) {
            self.job = job
            self.continuation = continuation
        }
    }

    @usableFromInline let maxBatch: Int
    @usableFromInline let maxConcurrent: Int
    @usableFromInline let write: Write
    @usableFromInline var waiters: [Waiter] = []
    @usableFromInline var leaders = 0
    @usableFromInline let observe: (@Sendable (CommitReport) -> Void)?

    /// - Parameters:
    ///   - observe: told of every batch written, a failed one too (the service's metrics: how
    ///     full the batches are says how much a commit is shared). Held as a constant: copied
    ///     out of a `Mutex` for each batch instead, it grew the process's memory with every
    ///     batch (bench/README.md, issue 15).
    ///   - write: writes a batch in one transaction and returns one result per job, in order.
    ///     Throwing fails the whole batch.
    public init(
        maxBatch: Int = 256,
        maxConcurrent: Int = 1,
        observe: (@Sendable (CommitReport) -> Void)? = nil,
        write: @escaping Write
    ) {
        self.maxBatch = max(1, maxBatch)
        self.maxConcurrent = max(1, maxConcurrent)
        self.observe = observe
        self.write = write
    }

    @inlinable
    public func submit(_ job: Job) async throws -> Outcome {
        if leaders >= maxConcurrent {
            let signal = await withUnsafeContinuation { continuation in
                waiters.append(Waiter(job: job, continuation: continuation))
            }
            if case .done(let result) = signal { return try result.get() }
            // Handed leadership (the leader's place passes to us): our job was taken off the
            // queue and is written below.
        } else {
            leaders += 1
            // Let the submissions already queued on this actor join before the batch is taken.
            await Task.yield()
        }
        let followers = Array(waiters.prefix(maxBatch - 1))
        waiters.removeFirst(followers.count)
        var jobs = [job]
        jobs.reserveCapacity(followers.count + 1)
        for follower in followers { jobs.append(follower.job) }

        let results: [Result<Outcome, any Error>]
        let started = ContinuousClock.now
        do {
            let written = try await write(jobs)
            precondition(written.count == followers.count + 1, "a batch write must return one result per job")
            results = written
        } catch {
            results = Array(repeating: .failure(error), count: followers.count + 1)
        }
        if let observe {
            observe(CommitReport(jobs: results.count, duration: ContinuousClock.now - started))
        }

        // The next leader first: resumed jobs run in the order they were resumed, and the
        // writer waits for the next batch until its leader runs, not for every follower of this
        // one to send its answer.
        if waiters.isEmpty {
            leaders -= 1
        } else {
            waiters.removeFirst().continuation.resume(returning: .lead)
        }
        for index in followers.indices {
            followers[index].continuation.resume(returning: .done(results[index + 1]))
        }
        return try results[0].get()
    }
}
