/// `deleteWebhook`: back to `getUpdates`.
public struct TelegramDeleteWebhook: TelegramMethod, Equatable {
    public typealias Result = Bool
    public static let name = "deleteWebhook"

    public var dropPendingUpdates: Bool

    public init(dropPendingUpdates: Bool = false) {
        self.dropPendingUpdates = dropPendingUpdates
    }

    enum CodingKeys: String, CodingKey {
        case dropPendingUpdates = "drop_pending_updates"
    }
}
