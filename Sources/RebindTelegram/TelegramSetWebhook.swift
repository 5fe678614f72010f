import RebindCore

/// `setWebhook`: Telegram posts every update to `url`, with `secretToken` in the
/// `X-Telegram-Bot-Api-Secret-Token` header.
public struct TelegramSetWebhook: TelegramMethod, Equatable {
    public typealias Result = Bool
    public static let name = "setWebhook"

    /// An HTTPS URL.
    public var url: String
    /// 1–256 of `A-Z a-z 0-9 _ -`.
    public var secretToken: Secret
    public var allowedUpdates: [String]?
    /// Whether Telegram drops the updates waiting for delivery; Rebind keeps them.
    public var dropPendingUpdates: Bool

    public init(url: String, secretToken: Secret, allowedUpdates: [String]? = TelegramUpdate.handledKinds, dropPendingUpdates: Bool = false) {
        self.url = url
        self.secretToken = secretToken
        self.allowedUpdates = allowedUpdates
        self.dropPendingUpdates = dropPendingUpdates
    }

    /// Whether `token` is what Telegram accepts as a secret token.
    public static func isValidSecretToken(_ token: String) -> Bool {
        (1...256).contains(token.utf8.count)
            && token.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url, forKey: .url)
        try container.encode(secretToken.value, forKey: .secretToken)
        try container.encodeIfPresent(allowedUpdates, forKey: .allowedUpdates)
        try container.encode(dropPendingUpdates, forKey: .dropPendingUpdates)
    }

    enum CodingKeys: String, CodingKey {
        case url
        case secretToken = "secret_token"
        case allowedUpdates = "allowed_updates"
        case dropPendingUpdates = "drop_pending_updates"
    }
}
