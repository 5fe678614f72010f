import Foundation
import RebindCore

/// What a Slack request leaves for the update processor: stored sealed like every chat
/// update (a key submission carries the credentials), handled in its user's lane.
enum SlackInbound: Codable, Sendable, Equatable {
    /// The user wrote in the DM with the bot.
    case message(teamID: String, userID: String, text: String)
    /// `/rebind …` other than `update` (which opens the form at once).
    case command(teamID: String, userID: String, text: String)
    /// A button other than "Update API key": its callback data (`l:<incident ref>`).
    case tap(teamID: String, userID: String, data: String)
    /// Something to tell the user in the DM that could not be said within Slack's 3 seconds
    /// (why the key form did not open).
    case answer(teamID: String, userID: String, text: String)
    /// The key form, submitted with values that passed the format checks.
    case keySubmission(teamID: String, userID: String, accountID: String, apiKey: String, apiSecret: String, passphrase: String?)

    var chat: ChatAddress {
        switch self {
        case .message(let team, let user, _), .command(let team, let user, _), .tap(let team, let user, _), .answer(let team, let user, _),
            .keySubmission(let team, let user, _, _, _, _):
            .slack(teamID: team, userID: user)
        }
    }
}
