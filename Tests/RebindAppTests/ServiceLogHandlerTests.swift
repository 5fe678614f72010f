import Logging
import Synchronization
import Testing

@testable import RebindApp

/// The service's log handler writes what swift-log's `StreamLogHandler` writes, line for line:
/// operators' log parsing does not change with it.
@Suite("Service log lines")
struct ServiceLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    struct Capture: TextOutputStream, Sendable {
        let lines: Lines
        mutating func write(_ string: String) { lines.append(string) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the store is down" }
    }

    /// The line without its timestamp (the two handlers may straddle a second).
    static func withoutTime(_ line: String) -> Substring {
        line.drop { $0 != " " }
    }

    @Test("Lines match StreamLogHandler's with base, request, explicit and error metadata, with and without a label", arguments: ["rebind", ""])
    func sameLines(label: String) {
        let ours = Lines()
        let theirs = Lines()
        var service = Logger(label: label) { ServiceLogHandler(label: $0, metadataProvider: nil, write: ours.append) }
        var stream = Logger(label: label) { StreamLogHandler(label: $0, stream: Capture(lines: theirs), metadataProvider: nil) }
        for index in 0..<2 {
            if index == 1 {
                service[metadataKey: "hb.request.id"] = "42"
                stream[metadataKey: "hb.request.id"] = "42"
                service[metadataKey: "a.first"] = "x y"
                stream[metadataKey: "a.first"] = "x y"
            }
            for target in [service, stream] {
                target.info("Event stored")
                target.notice("Event refused", metadata: ["http.status": "400", "error.code": "invalid_json"])
                target.warning("Notice not recorded", error: Failure(), metadata: ["notice.id": "7"])
                target.debug("below the level: not written")
            }
        }
        #expect(ours.all.count == 6)
        #expect(ours.all.map(Self.withoutTime) == theirs.all.map(Self.withoutTime))
        #expect(ours.all.allSatisfy { $0.hasSuffix("\n") })
    }

    @Test("The time is local time in StreamLogHandler's form")
    func timestamp() {
        let stamp = ServiceLogHandler.timestamp()
        #expect(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}/) != nil, "\(stamp)")
    }
}
