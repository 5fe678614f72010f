/// `getMe`: the bot itself; a cheap check that the token works.
public struct TelegramGetMe: TelegramMethod, Equatable {
    public typealias Result = TelegramUser
    public static let name = "getMe"

    public init() {}
}
