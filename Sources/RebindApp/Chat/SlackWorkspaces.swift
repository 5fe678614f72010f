import Foundation
import Logging
import RebindCore
import RebindCrypto
import RebindSlack
import Synchronization

/// The Slack client for each workspace: the one a workspace installed through OAuth (its
/// sealed bot token opened once and kept in memory), else the configured
/// `REBIND_SLACK_BOT_TOKEN`. A workspace with neither cannot be written to.
public final class SlackWorkspaces: Sendable {
    let store: any SlackInstallationStore
    let envelope: SecretEnvelope
    let makeClient: @Sendable (Secret) throws -> SlackClient
    let fallback: SlackClient?
    private let cache = Mutex<[String: (client: SlackClient, at: ContinuousClock.Instant)]>([:])
    /// How long an opened token is used before the store is read again: a workspace that
    /// reinstalled through another replica gets its new token here within this time.
    let refreshAfter: Duration = .seconds(300)

    public init(
        store: any SlackInstallationStore,
        envelope: SecretEnvelope,
        botToken: Secret?,
        makeClient: @escaping @Sendable (Secret) throws -> SlackClient
    ) throws {
        self.store = store
        self.envelope = envelope
        self.makeClient = makeClient
        fallback = try botToken.map(makeClient)
    }

    public func client(teamID: String) async throws(DeliveryError) -> SlackClient {
        if let cached = cache.withLock({ $0[teamID] }), ContinuousClock.now - cached.at < refreshAfter { return cached.client }
        let installation: SlackInstallation?
        do {
            installation = try await store.slackInstallation(teamID: teamID)
        } catch {
            throw .transient(reason: "store: \(error)")
        }
        guard let installation else {
            // Uninstalled (or never installed): the workspace waits for a reinstall, its
            // messages kept, rather than dead-lettering them.
            guard let fallback else { throw .channelRefused(reason: "workspace \(teamID) has no installation of Rebind") }
            return fallback
        }
        do {
            let token = try envelope.open(installation.sealedToken, as: SlackInstallation.context(teamID: teamID), Secret.self)
            let client = try makeClient(token)
            cache.withLock { $0[teamID] = (client, ContinuousClock.now) }
            return client
        } catch {
            throw .permanent(reason: "workspace \(teamID)'s stored token could not be opened")
        }
    }

    /// A workspace (re)installed: its next client uses the new token.
    public func installed(teamID: String) {
        _ = cache.withLock { $0.removeValue(forKey: teamID) }
    }

    /// The workspace uninstalled the app or revoked its bot token (`app_uninstalled`,
    /// `tokens_revoked`) at `eventTime`: its installation and sealed token are deleted, and the
    /// opened token forgotten. An installation made after the event (a reinstall that Slack's
    /// late retry of the event overtook) is kept. Nil when it was kept; else whether there was
    /// one to delete.
    public func uninstalled(teamID: String, eventTime: Date?) async throws -> Bool? {
        if let eventTime, let installation = try await store.slackInstallation(teamID: teamID), installation.installedAt > eventTime {
            return nil
        }
        _ = cache.withLock { $0.removeValue(forKey: teamID) }
        return try await store.deleteSlackInstallation(teamID: teamID)
    }
}
