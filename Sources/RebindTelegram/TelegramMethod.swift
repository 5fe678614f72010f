/// A Bot API method's parameters, sent as the JSON body of `POST /bot<token>/<name>`.
public protocol TelegramMethod: Encodable, Sendable {
    /// What a successful call returns in `result`.
    associatedtype Result: Codable & Sendable
    /// The method's name in the URL, e.g. `sendMessage`.
    static var name: String { get }
}
