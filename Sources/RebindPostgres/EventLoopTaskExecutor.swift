import NIOCore

/// Runs a task's jobs on one NIO event loop: the loop of the connection it is talking to. A
/// transaction is a chain of statements, each awaited before the next is sent; on the
/// cooperative pool every reply was read on the connection's loop and then handed to a pool
/// thread to send the next statement, two thread wake-ups a round trip. With its jobs on the
/// loop, the reply and the next statement are handled where the bytes are (bench/README.md,
/// issue 15).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
