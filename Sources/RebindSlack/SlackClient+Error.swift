import Foundation
import RebindCore

extension SlackClient {
    /// Why a call did not succeed. `deliveryError` says what that means for a message. No
    /// case holds a token or a client secret.
    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// The token has characters an HTTP header can't carry (spaces, line breaks, non-ASCII).
        case invalidToken
        /// Refused before sending: Slack would refuse it too (e.g. a button title too long).
        case invalidRequest(method: String, reason: String)
        /// Slack answered `"ok": false` with this error code (`invalid_auth`, `channel_not_found`,
        /// `ratelimited`, …); `retryAfter` is the `Retry-After` header, in seconds.
        case refused(method: String, error: String, status: Int, retryAfter: Int?)
        /// An HTTP error without Slack's JSON: 429 from the edge, 5xx from a proxy.
        case httpStatus(method: String, status: Int, retryAfter: Int?)
        /// No answer: refused or dropped connection, timeout. `kind` is nil for a transport
        /// error other than `TransportError`.
        case unreachable(method: String, kind: TransportError.Kind?, reason: String)
        /// A 2xx answer, but not the Web API's JSON (a cut-off body, a missing field).
        case unreadableAnswer(method: String, status: Int, reason: String)
        case cancelled(method: String)

        public var description: String {
            switch self {
            case .invalidToken:
                "the Slack token is malformed: expected printable ASCII without spaces, like xoxb-…"
            case .invalidRequest(let method, let reason):
                "Slack \(method) not sent: \(reason)"
            case .refused(let method, let error, let status, let retryAfter):
                "Slack refused \(method): \(error) (HTTP \(status))" + (retryAfter.map { "; retry after \($0) s" } ?? "")
            case .httpStatus(let method, let status, let retryAfter):
                "Slack \(method) answered HTTP \(status)" + (retryAfter.map { "; retry after \($0) s" } ?? "")
            case .unreachable(let method, _, let reason):
                "Slack \(method) got no answer: \(reason)"
            case .unreadableAnswer(let method, _, let reason):
                "Slack \(method) answer unreadable: \(reason)"
            case .cancelled(let method):
                "Slack \(method) cancelled"
            }
        }

        /// Slack's error code, when it refused.
        public var slackError: String? {
            if case .refused(_, let error, _, _) = self { error } else { nil }
        }

        /// The token no longer works (revoked, app uninstalled, workspace deleted): nothing
        /// sent with it will get through until the workspace installs Rebind again.
        public var isTokenBroken: Bool {
            slackError.map(Self.brokenTokenErrors.contains) ?? false
        }

        /// What this means for a message: wait, stop writing to the chat, retry later, or give up.
        public var deliveryError: DeliveryError {
            switch self {
            case .refused(let method, let error, let status, let retryAfter):
                if status == 429 || error == "ratelimited" {
                    return .rateLimited(retryAfter: TimeInterval(retryAfter ?? Self.defaultRetryAfter))
                }
                if Self.unreachableChatErrors.contains(error) { return .blocked(reason: "\(method): \(error)") }
                if Self.refusedTokenErrors.contains(error) { return .channelRefused(reason: "\(method): \(error)") }
                if status >= 500 || Self.temporaryErrors.contains(error) { return .transient(reason: "\(method): \(error)") }
                return .permanent(reason: "\(method): \(error)")
            case .httpStatus(_, 429, let retryAfter):
                return .rateLimited(retryAfter: TimeInterval(retryAfter ?? Self.defaultRetryAfter))
            case .httpStatus(_, let status, _) where status >= 500 || status == 408:
                return .transient(reason: description)
            case .unreachable(_, .invalidRequest, _), .invalidToken, .invalidRequest, .httpStatus:
                return .permanent(reason: description)
            case .unreachable, .unreadableAnswer, .cancelled:
                return .transient(reason: description)
            }
        }

        /// The user or their DM can't be written to: deactivated, gone, or the DM closed to
        /// apps. Like Telegram's "blocked": stop sending to that chat.
        public static let unreachableChatErrors: Set<String> = [
            "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_not_visible", "user_disabled",
            "cannot_dm_bot", "messages_tab_disabled", "restricted_action",
        ]

        /// The token itself is refused; permanent for every message until reinstalled.
        public static let brokenTokenErrors: Set<String> = [
            "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
            "missing_scope", "not_allowed_token_type", "team_access_not_granted", "ekm_access_denied", "org_login_required",
        ]

        /// The workspace's token is refused outright — revoked, the app uninstalled, the
        /// workspace or the bot's account deactivated, or a wrong token: the workspace pauses
        /// (its messages wait, `auth.test` probes it) rather than dead-lettering every message.
        /// The other `brokenTokenErrors` (a missing scope, a wrong token type) stay permanent:
        /// probing would not mend them.
        public static let refusedTokenErrors: Set<String> = [
            "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
        ]

        /// Slack's own trouble, worth retrying with backoff.
        public static let temporaryErrors: Set<String> = [
            "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org",
        ]

        /// Slack always sends `Retry-After` with a 429; this is for when it does not.
        static let defaultRetryAfter = 5
    }
}
