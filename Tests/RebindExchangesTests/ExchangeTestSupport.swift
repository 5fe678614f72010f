import Foundation
import RebindCore
import RebindHTTP
import RebindSimulator
import Synchronization

/// The transport the chat flows use. The default timeout is far longer than any answer from a
/// fake takes, even when a loaded machine runs it late; tests of a hanging fake pass a short one.
func testTransport(timeout: TimeInterval = 45) throws -> CurlTransport {
    try CurlTransport(configuration: .init(connectTimeout: 2, timeout: timeout))
}

/// A clock that jumps ahead by `step` every time it is read, so no offset measured from it
/// stays right: a caller whose clock this is can never get in sync.
final class RunawayClock: Sendable {
    private let reads = Mutex(0)
    private let start: Date
    private let step: TimeInterval

    init(start: Date = Date(), step: TimeInterval) {
        self.start = start
        self.step = step
    }

    func now() -> Date {
        let count = reads.withLock { reads in
            reads += 1
            return reads
        }
        return start.addingTimeInterval(TimeInterval(count) * step)
    }
}

extension RecordedRequest {
    /// Every byte of the request a secret could leak through: target, headers, body.
    var everything: String {
        ([method, path] + headers.flatMap { [$0.name, $0.value] } + [bodyText]).joined(separator: "\n")
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
