import Foundation

extension FakeTelegramServer {
    /// One Bot API call as the fake received it and what it answered.
    public struct Call: Sendable, Equatable, CustomStringConvertible {
        public enum Outcome: Sendable, Equatable {
            /// Still being answered (a long poll).
            case pending
            case answered(status: Int)
            /// A `.hang` fault: never answered.
            case hung
            /// The connection was closed without an answer.
            case dropped
        }

        /// 1 for the first call, in order of arrival.
        public var number: Int
        /// The method as named in the URL, e.g. `sendMessage`.
        public var method: String
        /// `chat_id`, for methods that have one.
        public var chatID: Int64?
        public var parameters: [String: JSONValue]
        public var body: Data
        /// Seconds on the fake's clock: since the server started, on the real monotonic clock
        /// by default.
        public var receivedAt: TimeInterval
        public var outcome: Outcome
        /// Telegram's `description` of a refusal.
        public var errorDescription: String?
        /// `parameters.retry_after` of a 429.
        public var retryAfter: Int?

        /// The HTTP status it was answered with, if any.
        public var status: Int? {
            if case .answered(let status) = outcome { status } else { nil }
        }

        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        public subscript(parameter: String) -> JSONValue? { parameters[parameter] }

        public var description: String {
            "#\(number) \(method)" + (chatID.map { " chat \($0)" } ?? "") + " → \(outcome)"
        }
    }
}
