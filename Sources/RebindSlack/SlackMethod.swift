/// A Web API method's arguments, sent as the JSON body of `POST <base>/<name>` with the bot
/// token as a bearer token. Slack answers `{"ok":true, …result fields…}`, flat.
public protocol SlackMethod: Encodable, Sendable {
    /// The fields of a successful answer (besides `ok`).
    associatedtype Result: Decodable & Sendable
    /// The method's name in the URL, e.g. `chat.postMessage`.
    static var name: String { get }
    /// The arguments as a form, for methods whose arguments Slack reads only from a form body
    /// (read methods such as `users.info` ignore a JSON body); nil sends JSON.
    var formFields: [(name: String, value: String)]? { get }
}

extension SlackMethod {
    public var formFields: [(name: String, value: String)]? { nil }
}

/// A successful answer whose fields Rebind does not read.
public struct SlackEmptyResult: Codable, Sendable, Equatable {
    public init() {}
}
