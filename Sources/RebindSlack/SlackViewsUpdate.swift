/// `views.update`: replaces an open modal's content (e.g. "Checking your key…" after a
/// submission). With `hash`, Slack refuses (`hash_conflict`) if the view changed meanwhile.
public struct SlackViewsUpdate: SlackMethod, Equatable {
    public static let name = "views.update"

    public var viewID: String
    public var hash: String?
    public var view: SlackView

    public init(viewID: String, hash: String? = nil, view: SlackView) {
        self.viewID = viewID
        self.hash = hash
        self.view = view
    }

    public typealias Result = SlackViewsOpen.Result

    enum CodingKeys: String, CodingKey {
        case viewID = "view_id"
        case hash, view
    }
}
