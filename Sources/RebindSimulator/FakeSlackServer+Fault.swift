extension FakeSlackServer {
    /// A misbehaviour to answer calls with, instead of doing what they ask.
    public enum Fault: Sendable, Equatable {
        /// HTTP 429 with `Retry-After` and `{"ok":false,"error":"ratelimited"}`.
        case rateLimited(retryAfter: Int)
        /// HTTP 200 with `{"ok":false,"error":<error>}`, as Slack refuses.
        case error(String)
        /// 500 with `{"ok":false,"error":"fatal_error"}`; 502, 503 and 504 as the edge's HTML page.
        case serverError(status: Int)
        /// 200 with a body cut off in the middle of the JSON.
        case malformedAnswer
        /// Never answers.
        case hang
        /// Closes the connection without answering; the call is not carried out.
        case drop

        public static let invalidAuth = Fault.error("invalid_auth")
        public static let tokenRevoked = Fault.error("token_revoked")
        public static let accountInactive = Fault.error("account_inactive")
        public static let channelNotFound = Fault.error("channel_not_found")
    }

    /// A fault and the calls it applies to.
    struct FaultRule: Sendable {
        var fault: Fault
        /// Calls left to answer with it; nil for every call until cleared.
        var remaining: Int?
        /// Lowercased method name; nil for every method.
        var method: String?

        func applies(to method: String) -> Bool {
            self.method == nil || self.method == method.lowercased()
        }
    }
}
