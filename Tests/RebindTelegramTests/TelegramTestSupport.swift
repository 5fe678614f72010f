import Foundation
import Logging
import RebindCore
import RebindHTTP
import RebindTelegram
import RebindTestSupport
import Synchronization

/// The libcurl transport with limits short enough for a hanging fake.
func testTransport(timeout: TimeInterval = 5, logger: Logger = Logger(label: "test.curl")) throws -> CurlTransport {
    try CurlTransport(configuration: .init(connectTimeout: 2, timeout: timeout), logger: logger)
}

/// A client of the fake, over the real HTTP client.
func client(of fake: FakeTelegramServer, timeout: TimeInterval = 5, logger: Logger = Logger(label: "test.telegram")) throws -> TelegramClient {
    try TelegramClient(baseURL: fake.baseURL, token: fake.token, transport: testTransport(timeout: timeout, logger: logger), timeout: timeout, logger: logger)
}

/// Log lines kept in memory, every level, metadata rendered, so tests can search them.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, logs: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] { lines.withLock { $0 } }
    var text: String { all.joined(separator: "\n") }

    struct Handler: LogHandler {
        let label: String
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            logs.append("\(event.level) \(label): \(event.message) \(rendered)")
        }
    }
}

/// The JSON object in a recorded body, for comparing shapes.
func jsonObject(_ data: Data?) -> NSDictionary? {
    data.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? NSDictionary }
}
