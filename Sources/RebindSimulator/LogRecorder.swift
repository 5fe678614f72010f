import Logging
import Synchronization

/// Keeps every log line written through its loggers, at every level, so a test can search
/// them: the message, the metadata, the error and the source, as one line each.
public final class LogRecorder: Sendable {
    public init() {}

    private let lines = Mutex<[String]>([])

    /// A logger at `.trace` that writes here.
    public func logger(label: String = "rebind-test") -> Logger {
        var logger = Logger(label: label) { [self] _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    public var all: [String] { lines.withLock { $0 } }

    /// The lines holding `text`.
    public func lines(containing text: String) -> [String] {
        all.filter { $0.contains(text) }
    }

    fileprivate func record(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
            if let own = event.metadata { merged.merge(own) { $1 } }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let error = event.error.map { " error=\(String(describing: $0))" } ?? ""
            recorder.record("\(event.level) [\(event.source)] \(event.message) \(fields)\(error)")
        }
    }
}
