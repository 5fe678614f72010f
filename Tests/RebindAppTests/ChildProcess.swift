import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts a program with `posix_spawn` and collects its output.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) over-reads a `dirent` while it counts
/// the open descriptors and crashes the test process now and then (swift-corelibs-foundation
/// pull request 5472); this spawns the child directly instead.
enum ChildProcess {
    struct Finished {
        var status: Int32
        var output: Data
        var errors: Data
    }

    struct SpawnFailed: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    static func run(
        _ executable: String,
        arguments: [String],
        environment: [String: String],
        directory: String,
        input: Data?
    )
        async throws -> Finished
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(executable, arguments, environment, directory, input) })
            }
        }
    }

    private static func runBlocking(
        _ executable: String,
        _ arguments: [String],
        _ environment: [String: String],
        _ directory: String,
        _ input: Data?
    )
        throws -> Finished
    {
        let stdin = try pipe()
        let stdout = try pipe()
        let stderr = try pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin.read, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr.write, 2)
        guard GNU.addChdir(&actions, directory) == 0 else { throw SpawnFailed(call: "posix_spawn_file_actions_addchdir_np", code: errno) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for argument in argv { free(argument) }
            for variable in envp { free(variable) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        // The parent keeps only its own ends; the pipes are close-on-exec, so no other child holds them.
        close(stdin.read)
        close(stdout.write)
        close(stderr.write)
        guard spawned == 0 else {
            close(stdin.write)
            close(stdout.read)
            close(stderr.read)
            throw SpawnFailed(call: "posix_spawn", code: spawned)
        }

        let feeder = Thread {
            if let input { writeAll(input, to: stdin.write) }
            close(stdin.write)
        }
        feeder.start()
        let errors = SendableBox<Data>(Data())
        let drained = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errors.value = readAll(stderr.read)
            drained.signal()
        }
        let output = readAll(stdout.read)
        drained.wait()

        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw SpawnFailed(call: "waitpid", code: errno) }
        }
        // Exit code when the child exited; 128 + signal number when a signal ended it, as a shell reports.
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return Finished(status: code, output: output, errors: errors.value)
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard GNU.pipe2(&ends, O_CLOEXEC) == 0 else { throw SpawnFailed(call: "pipe2", code: errno) }
        return (ends[0], ends[1])
    }

    private static func readAll(_ descriptor: Int32) -> Data {
        defer { close(descriptor) }
        var collected = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                collected.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                return collected
            }
        }
    }

    private static func writeAll(_ data: Data, to descriptor: Int32) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if errno != EINTR {
                    return  // the child closed its input; what it read is what it gets
                }
            }
        }
    }
}

/// glibc functions that Swift's `Glibc` module leaves out (they need `_GNU_SOURCE`), looked up by name.
private enum GNU {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let addChdir: AddChdir = function("posix_spawn_file_actions_addchdir_np")
    static let pipe2: Pipe2 = function("pipe2")

    private static func function<F>(_ name: String) -> F {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { fatalError("glibc lacks \(name)") }
        return unsafeBitCast(symbol, to: F.self)
    }
}

/// A value one thread writes and another reads after a semaphore orders them.
private final class SendableBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
