/// What the key is for, so the check asks for exactly the permissions the robots need.
public struct KeyCheckContext: Sendable, Equatable {
    /// A futures robot needs futures trading on the key; a spot robot needs spot trading.
    public var needsFutures: Bool

    public init(needsFutures: Bool = false) {
        self.needsFutures = needsFutures
    }
}
