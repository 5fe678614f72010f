/// A `view_submission` payload: the user pressed a modal's submit button. Answer within
/// 3 seconds, with `{"response_action":"errors",…}` for field errors (`SlackViewResponse`).
public struct SlackViewSubmission: Codable, Sendable, Equatable {
    public var type = "view_submission"
    public var triggerID: String?
    public var user: SlackUserRef
    public var team: SlackTeamRef?
    public var apiAppID: String?
    /// The modal with its `callback_id`, `private_metadata` and input values.
    public var view: SlackViewInfo

    public init(triggerID: String? = nil, user: SlackUserRef, team: SlackTeamRef? = nil, apiAppID: String? = nil, view: SlackViewInfo) {
        self.triggerID = triggerID
        self.user = user
        self.team = team
        self.apiAppID = apiAppID
        self.view = view
    }

    /// The workspace: `team.id`, the view's, or the user's.
    public var teamID: String? { team?.id ?? view.teamID ?? user.teamID }

    enum CodingKeys: String, CodingKey {
        case type
        case triggerID = "trigger_id"
        case user, team
        case apiAppID = "api_app_id"
        case view
    }
}
