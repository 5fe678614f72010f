import Foundation

extension FakeSlackServer {
    /// The same loose JSON value as the fake Telegram's: arguments as the fake received them.
    public typealias JSONValue = FakeTelegramServer.JSONValue

    /// One Web API call as the fake received it and what it answered.
    public struct Call: Sendable, Equatable, CustomStringConvertible {
        public enum Outcome: Sendable, Equatable {
            case answered(status: Int)
            /// A `.hang` fault: never answered.
            case hung
            /// The connection was closed without an answer.
            case dropped
        }

        /// 1 for the first call, in order of arrival.
        public var number: Int
        /// The method as named in the URL, e.g. `chat.postMessage`.
        public var method: String
        /// The arguments, from the JSON or form body; the token is never among them.
        public var arguments: [String: JSONValue]
        /// `Content-Type` as sent.
        public var contentType: String?
        /// Whether a bearer token came in `Authorization`.
        public var bearer: Bool
        /// Seconds on the fake's clock.
        public var receivedAt: TimeInterval
        public var outcome: Outcome
        /// Slack's `error` when it refused (`invalid_auth`, `ratelimited`, …).
        public var error: String?
        /// The `Retry-After` header of a 429, in seconds.
        public var retryAfter: Int?
        /// Slack's `warning`s (e.g. `missing_charset` for JSON without `charset=utf-8`).
        public var warnings: [String]

        /// `channel`, for the methods that have one.
        public var channel: String? { arguments["channel"]?.string }

        /// The HTTP status it was answered with, if any.
        public var status: Int? {
            if case .answered(let status) = outcome { status } else { nil }
        }

        /// Answered `"ok": true`.
        public var succeeded: Bool { status == 200 && error == nil }

        public subscript(argument: String) -> JSONValue? { arguments[argument] }

        public var description: String {
            "#\(number) \(method)" + (channel.map { " \($0)" } ?? "") + " → \(outcome)" + (error.map { " \($0)" } ?? "")
        }
    }
}
