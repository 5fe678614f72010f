import CCurl
import Foundation
import Logging
import RebindCore

/// `HTTPTransport` over libcurl.
///
/// Every transfer runs on one dedicated thread through a curl multi handle, so connections
/// are kept open and reused between requests, many requests run at once, and no blocking
/// call lands on an event loop or the cooperative pool. Redirects are returned, not
/// followed; TLS certificates and host names are always verified; only http and https
/// URLs are allowed.
public final class CurlTransport: HTTPTransport {
    public let configuration: Configuration
    private let loop: CurlTransferLoop
    private let logger: Logger

    /// Starts the transport's transfer thread. Throws `CurlTransport.Error` when the
    /// configuration is unusable or libcurl can't be set up.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "rebind.http.curl")) throws {
        try configuration.validate()
        do {
            try CurlGlobal.ensureInitialised()
            loop = try CurlTransferLoop(maximumCachedConnections: configuration.maximumCachedConnections)
        } catch {
            throw Error.curlUnavailable(reason: String(describing: error))
        }
        self.configuration = configuration
        self.logger = logger
        loop.start(name: "rebind.curl")
    }

    deinit {
        loop.stop()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try CurlTransfer(request: request, configuration: configuration)
        let loop = self.loop
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "http.method": "\(transfer.method)",
            "http.endpoint": "\(transfer.url.endpoint)",
        ]
        do {
            let response = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    transfer.start(continuation, on: loop)
                }
            } onCancel: {
                if transfer.requestCancellation() { loop.wakeUp() }
            }
            metadata["http.status"] = "\(response.status)"
            metadata["http.duration"] = "\(ContinuousClock.now - started)"
            logger.debug("HTTP request answered", metadata: metadata)
            return response
        } catch {
            metadata["http.error"] = "\(error)"
            metadata["http.duration"] = "\(ContinuousClock.now - started)"
            logger.debug("HTTP request failed", metadata: metadata)
            throw error
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// A configuration value is out of range; names the field.
        case invalidConfiguration(field: String, reason: String)
        case curlUnavailable(reason: String)

        public var description: String {
            switch self {
            case .invalidConfiguration(let field, let reason):
                "CurlTransport.Configuration.\(field) \(reason)"
            case .curlUnavailable(let reason):
                "libcurl could not be set up: \(reason)"
            }
        }
    }
}
