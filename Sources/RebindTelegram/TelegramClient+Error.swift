import Foundation
import RebindCore

extension TelegramClient {
    /// Why a call did not succeed. `deliveryError` says what that means for a message.
    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// The bot token has characters that can't go in a URL path.
        case invalidToken
        /// Refused before sending: Telegram would refuse it too (e.g. callback data too long).
        case invalidRequest(method: String, reason: String)
        /// Telegram answered `"ok": false`.
        case refused(method: String, errorCode: Int, description: String, retryAfter: Int?)
        /// No answer: refused or dropped connection, timeout. `kind` is nil for a transport
        /// error other than `TransportError`.
        case unreachable(method: String, kind: TransportError.Kind?, reason: String)
        /// An answer, but not the Bot API's JSON (a proxy's error page, a cut-off body).
        case unreadableAnswer(method: String, status: Int, reason: String)
        case cancelled(method: String)

        public var description: String {
            switch self {
            case .invalidToken:
                "the Telegram bot token is malformed: expected digits, a colon and letters, digits, _ or -"
            case .invalidRequest(let method, let reason):
                "Telegram \(method) not sent: \(reason)"
            case .refused(let method, let code, let description, let retryAfter):
                "Telegram refused \(method) (\(code)): \(description)" + (retryAfter.map { "; retry after \($0) s" } ?? "")
            case .unreachable(let method, _, let reason):
                "Telegram \(method) got no answer: \(reason)"
            case .unreadableAnswer(let method, _, let reason):
                "Telegram \(method) answer unreadable: \(reason)"
            case .cancelled(let method):
                "Telegram \(method) cancelled"
            }
        }

        /// Telegram's error code, when it refused.
        public var errorCode: Int? {
            if case .refused(_, let code, _, _) = self { code } else { nil }
        }

        /// 400 "message is not modified": an edit to what the message already says.
        public var isMessageNotModified: Bool {
            guard case .refused(_, 400, let description, _) = self else { return false }
            return description.localizedCaseInsensitiveContains("message is not modified")
        }

        /// 409: another `getUpdates` is running, or a webhook is set.
        public var isConflict: Bool { errorCode == 409 }

        /// What this means for a message: wait, stop writing to the chat, retry later, or give up.
        public var deliveryError: DeliveryError {
            switch self {
            case .refused(let method, let code, let description, let retryAfter):
                switch code {
                case 429: .rateLimited(retryAfter: TimeInterval(retryAfter ?? Self.defaultRetryAfter))
                // Blocked, never started, kicked, deactivated: the chat can't be written to.
                case 403: .blocked(reason: description)
                // The token itself: revoked (401) or not a bot's at all (404). No chat can be
                // written to until it is fixed.
                case 401, 404: .channelRefused(reason: "\(method): \(description)")
                case 500...599: .transient(reason: "\(method): \(description)")
                default: .permanent(reason: "\(method): \(description)")
                }
            case .unreachable(_, .invalidRequest, _), .invalidToken, .invalidRequest:
                .permanent(reason: description)
            case .unreachable, .unreadableAnswer, .cancelled:
                .transient(reason: description)
            }
        }

        /// Telegram always says how long to wait on a 429; this is for when it does not.
        static let defaultRetryAfter = 5
    }
}
