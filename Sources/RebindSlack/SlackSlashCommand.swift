import Foundation

/// A slash command (`/rebind update`), as Slack posts it: a URL-encoded form.
public struct SlackSlashCommand: Sendable, Equatable {
    /// `/rebind`.
    public var command: String
    /// What follows the command, as typed (`update`, `link <token>`); may be empty.
    public var text: String
    public var userID: String
    public var teamID: String
    public var channelID: String
    /// Opens a modal within 3 seconds, once.
    public var triggerID: String
    /// Where delayed answers go, for 30 minutes.
    public var responseURL: String
    public var userName: String?
    public var teamDomain: String?
    public var channelName: String?
    public var enterpriseID: String?
    public var apiAppID: String?

    public init(
        command: String,
        text: String,
        userID: String,
        teamID: String,
        channelID: String,
        triggerID: String,
        responseURL: String,
        userName: String? = nil,
        teamDomain: String? = nil,
        channelName: String? = nil,
        enterpriseID: String? = nil,
        apiAppID: String? = nil
    ) {
        self.command = command
        self.text = text
        self.userID = userID
        self.teamID = teamID
        self.channelID = channelID
        self.triggerID = triggerID
        self.responseURL = responseURL
        self.userName = userName
        self.teamDomain = teamDomain
        self.channelName = channelName
        self.enterpriseID = enterpriseID
        self.apiAppID = apiAppID
    }

    /// Reads the form; every field Slack always sends must be there (`text` may be empty).
    public init(form: SlackForm) throws(SlackPayloadError) {
        command = try form.required("command")
        text = form["text"] ?? ""
        userID = try form.required("user_id")
        teamID = try form.required("team_id")
        channelID = try form.required("channel_id")
        triggerID = try form.required("trigger_id")
        responseURL = try form.required("response_url")
        userName = form["user_name"]
        teamDomain = form["team_domain"]
        channelName = form["channel_name"]
        enterpriseID = form["enterprise_id"]
        apiAppID = form["api_app_id"]
    }

    public init(formBody: Data) throws(SlackPayloadError) {
        try self.init(form: try SlackForm(body: formBody))
    }

    /// The form Slack would post, for tests that play Slack.
    public var form: SlackForm {
        let fields: [(String, String?)] = [
            ("team_id", teamID), ("team_domain", teamDomain), ("enterprise_id", enterpriseID), ("channel_id", channelID),
            ("channel_name", channelName), ("user_id", userID), ("user_name", userName), ("command", command), ("text", text),
            ("api_app_id", apiAppID), ("response_url", responseURL), ("trigger_id", triggerID),
        ]
        return SlackForm(fields: fields.compactMap { name, value in value.map { (name, $0) } })
    }
}
