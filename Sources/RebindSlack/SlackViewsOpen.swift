/// `views.open`: shows a modal. The trigger comes from a button press or slash command and
/// works once, within 3 seconds, so open the modal before any slow work.
public struct SlackViewsOpen: SlackMethod, Equatable {
    public static let name = "views.open"

    public var triggerID: String
    public var view: SlackView

    public init(triggerID: String, view: SlackView) {
        self.triggerID = triggerID
        self.view = view
    }

    public struct Result: Codable, Sendable, Equatable {
        public var view: SlackViewInfo

        public init(view: SlackViewInfo) {
            self.view = view
        }
    }

    enum CodingKeys: String, CodingKey {
        case triggerID = "trigger_id"
        case view
    }
}
