import Foundation

extension CurlTransport {
    /// Limits every request through the transport shares, unless a request says otherwise.
    public struct Configuration: Sendable, Equatable {
        /// Time allowed to resolve the host and open the connection (TLS handshake included).
        public var connectTimeout: TimeInterval
        /// Time allowed for the whole request; `HTTPRequest.timeout` overrides it.
        public var timeout: TimeInterval
        /// Responses with a larger body fail rather than fill memory.
        public var maximumResponseBodySize: Int
        /// Idle connections kept open for reuse.
        public var maximumCachedConnections: Int
        /// Sent unless the request has its own `User-Agent` header.
        public var userAgent: String

        public init(
            connectTimeout: TimeInterval = 10,
            timeout: TimeInterval = 30,
            maximumResponseBodySize: Int = 10 * 1024 * 1024,
            maximumCachedConnections: Int = 16,
            userAgent: String = "Rebind"
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maximumResponseBodySize = maximumResponseBodySize
            self.maximumCachedConnections = maximumCachedConnections
            self.userAgent = userAgent
        }

        func validate() throws(CurlTransport.Error) {
            guard connectTimeout.isFinite, connectTimeout > 0 else {
                throw .invalidConfiguration(field: "connectTimeout", reason: "must be a positive number of seconds")
            }
            guard timeout.isFinite, timeout > 0 else {
                throw .invalidConfiguration(field: "timeout", reason: "must be a positive number of seconds")
            }
            guard maximumResponseBodySize >= 0 else {
                throw .invalidConfiguration(field: "maximumResponseBodySize", reason: "must not be negative")
            }
            guard maximumCachedConnections >= 0 else {
                throw .invalidConfiguration(field: "maximumCachedConnections", reason: "must not be negative")
            }
        }
    }
}
