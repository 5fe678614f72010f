import Foundation

/// A Slack workspace that installed the app through OAuth: its bot token, sealed.
public struct SlackInstallation: Sendable, Equatable {
    public var teamID: String
    public var teamName: String?
    public var botUserID: String?
    /// The bot token (`xoxb-…`), sealed and bound to the workspace.
    public var sealedToken: SealedData
    public var installedAt: Date

    public init(teamID: String, teamName: String? = nil, botUserID: String? = nil, sealedToken: SealedData, installedAt: Date) {
        self.teamID = teamID
        self.teamName = teamName
        self.botUserID = botUserID
        self.sealedToken = sealedToken
        self.installedAt = installedAt
    }

    /// What a workspace's sealed token is bound to: it opens for that workspace only.
    public static func context(teamID: String) -> SealContext { .slackInstallation(teamID: teamID) }
}

/// Where OAuth installations are kept. A reinstall replaces the workspace's token.
public protocol SlackInstallationStore: Sendable {
    func saveSlackInstallation(_ installation: SlackInstallation) async throws
    func slackInstallation(teamID: String) async throws -> SlackInstallation?
    /// The workspace uninstalled the app or revoked its token: the installation and its sealed
    /// token go at once. True when there was one.
    func deleteSlackInstallation(teamID: String) async throws -> Bool
}
