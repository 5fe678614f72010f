import Foundation

/// A request exactly as a loopback server received it.
public struct RecordedRequest: Sendable, Equatable, CustomStringConvertible {
    public var method: String
    /// The request target as sent: path and query, e.g. `/bot123:ABC/sendMessage?x=1`.
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// Which accepted connection carried it, counting from 1 in order of acceptance.
    public var connection: Int

    public init(method: String, path: String, headers: [(name: String, value: String)] = [], body: Data = Data(), connection: Int = 1) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.connection = connection
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The path without its query.
    public var pathWithoutQuery: String {
        path.firstIndex(of: "?").map { String(path[..<$0]) } ?? path
    }

    /// The query's items, percent-decoded, in order.
    public var queryItems: [URLQueryItem] {
        URLComponents(string: path)?.queryItems ?? []
    }

    /// The body as UTF-8 text.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }

    public var description: String {
        "\(method) \(path) (\(body.count) bytes, connection \(connection))"
    }

    public static func == (lhs: RecordedRequest, rhs: RecordedRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.body == rhs.body && lhs.connection == rhs.connection
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }
}
