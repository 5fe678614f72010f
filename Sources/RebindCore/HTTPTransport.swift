import Foundation

/// The one way Rebind talks to the outside world (exchanges, chat platforms, the trading
/// platform). Adapters implement it; tests point it at loopback servers.
public protocol HTTPTransport: Sendable {
    /// Sends the request and returns the response, whatever its status. Throws
    /// `TransportError` when no response arrived.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// Total time allowed for this request; the transport's default when nil.
    public var timeout: TimeInterval?

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: Data = Data(), timeout: TimeInterval? = nil)
    {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body && lhs.timeout == rhs.timeout
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }
}

/// Why a request got no response. `kind` is what callers decide on (retry a timeout, give
/// up on a TLS failure); `description` says what failed in words an operator can act on.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case timedOut = "timed_out"
        case connectionRefused = "connection_refused"
        case connectionDropped = "connection_dropped"
        case hostNotFound = "host_not_found"
        case tls
        case invalidRequest = "invalid_request"
        case other
    }

    public var kind: Kind
    /// The scheme, host and port that were called; never the path or query, which may carry
    /// tokens (Telegram's bot token is in its path).
    public var endpoint: String
    public var detail: String

    public init(kind: Kind, endpoint: String, detail: String) {
        self.kind = kind
        self.endpoint = endpoint
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .timedOut: "Request to \(endpoint) timed out: \(detail)"
        case .connectionRefused: "Connection to \(endpoint) was refused: \(detail)"
        case .connectionDropped: "Connection to \(endpoint) dropped before a full response: \(detail)"
        case .hostNotFound: "Host of \(endpoint) could not be resolved: \(detail)"
        case .tls: "TLS with \(endpoint) failed: \(detail)"
        case .invalidRequest: "Request to \(endpoint) could not be made: \(detail)"
        case .other: "Request to \(endpoint) failed: \(detail)"
        }
    }
}

/// A response whose status the caller did not accept.
public struct HTTPStatusError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var endpoint: String

    public init(status: Int, endpoint: String) {
        self.status = status
        self.endpoint = endpoint
    }

    public var description: String { "\(endpoint) answered HTTP \(status)" }
}
