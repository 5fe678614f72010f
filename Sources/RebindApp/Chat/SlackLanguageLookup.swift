import Foundation
import Logging
import RebindCore
import RebindSlack

/// A Slack user's language, from `users.info` with `include_locale`. It needs the `users:read`
/// scope, which workspaces installed before Rebind asked for it lack: then (or on any other
/// failure) nothing is known and the other sources of DESIGN §4 decide, quietly.
struct SlackLanguageLookup: LanguageLookup {
    let workspaces: SlackWorkspaces
    let logger: Logger

    func reportedLanguage(of chat: ChatAddress) async -> String? {
        guard let (teamID, userID) = chat.slackUser else { return nil }
        do {
            let client = try await workspaces.client(teamID: teamID)
            return try await client.call(SlackUsersInfo(user: userID), timeout: 5).user.locale
        } catch {
            logger.debug("Slack user's locale not read", metadata: ["chat": "\(chat)", "error": "\(error)"])
            return nil
        }
    }
}
