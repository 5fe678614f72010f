/// How links in a message are previewed (Bot API `LinkPreviewOptions`). Rebind turns
/// previews off: the help page's card would push the guidance out of view.
public struct TelegramLinkPreviewOptions: Codable, Sendable, Equatable {
    public var isDisabled: Bool

    public init(isDisabled: Bool) {
        self.isDisabled = isDisabled
    }

    public static let disabled = TelegramLinkPreviewOptions(isDisabled: true)

    enum CodingKeys: String, CodingKey {
        case isDisabled = "is_disabled"
    }
}
