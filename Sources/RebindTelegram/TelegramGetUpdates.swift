/// `getUpdates`: long polling. Updates below `offset` are confirmed and never returned again.
public struct TelegramGetUpdates: TelegramMethod, Equatable {
    public typealias Result = [TelegramUpdate]
    public static let name = "getUpdates"

    /// The last update id seen, plus one.
    public var offset: Int64?
    /// 1–100; Telegram's default is 100.
    public var limit: Int?
    /// Seconds Telegram holds the request open when no update is waiting.
    public var timeout: Int
    public var allowedUpdates: [String]?

    public init(offset: Int64? = nil, limit: Int? = nil, timeout: Int = 50, allowedUpdates: [String]? = TelegramUpdate.handledKinds) {
        self.offset = offset
        self.limit = limit
        self.timeout = timeout
        self.allowedUpdates = allowedUpdates
    }

    enum CodingKeys: String, CodingKey {
        case offset, limit, timeout
        case allowedUpdates = "allowed_updates"
    }
}
