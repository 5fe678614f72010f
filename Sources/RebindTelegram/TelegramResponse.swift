/// The envelope of every Bot API answer: `{"ok":true,"result":…}` or
/// `{"ok":false,"error_code":N,"description":"…","parameters":{"retry_after":S}}`.
public struct TelegramResponse<Result: Codable & Sendable>: Codable, Sendable {
    public var ok: Bool
    public var result: Result?
    /// Human-readable: the reason of a refusal, or a note on success ("Webhook was set").
    public var description: String?
    /// Mostly the HTTP status: 400, 401, 403, 404, 409, 429, 5xx.
    public var errorCode: Int?
    public var parameters: Parameters?

    public init(ok: Bool, result: Result? = nil, description: String? = nil, errorCode: Int? = nil, parameters: Parameters? = nil) {
        self.ok = ok
        self.result = result
        self.description = description
        self.errorCode = errorCode
        self.parameters = parameters
    }

    /// Bot API `ResponseParameters`: how to retry.
    public struct Parameters: Codable, Sendable, Equatable {
        /// Seconds to wait before repeating the request (429).
        public var retryAfter: Int?
        /// The group became a supergroup with this id.
        public var migrateToChatID: Int64?

        public init(retryAfter: Int? = nil, migrateToChatID: Int64? = nil) {
            self.retryAfter = retryAfter
            self.migrateToChatID = migrateToChatID
        }

        enum CodingKeys: String, CodingKey {
            case retryAfter = "retry_after"
            case migrateToChatID = "migrate_to_chat_id"
        }
    }

    enum CodingKeys: String, CodingKey {
        case ok, result, description
        case errorCode = "error_code"
        case parameters
    }
}

extension TelegramResponse: Equatable where Result: Equatable {}
