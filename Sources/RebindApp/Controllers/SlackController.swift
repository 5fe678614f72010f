import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RebindCore
import RebindCrypto
import RebindSlack

/// Slack's requests: `POST /v1/slack/events`, `/v1/slack/interactivity`, `/v1/slack/commands`.
/// Every one is verified (signing v0 over the raw body, 5-minute window, constant time)
/// before it is read. Work is stored sealed and done by the update processor, so Slack gets
/// its answer within its 3 seconds; the only calls made at once are opening the key form,
/// which needs the trigger Slack just gave, and the form's format checks.
struct SlackController: Sendable {
    let signature: SlackSignature
    let store: any ChatStore
    let envelope: SecretEnvelope
    let opener: SlackKeyFormOpener
    let inbox: LaneInbox
    let wakeup: Wakeup
    let workspaces: SlackWorkspaces
    let health: ChannelHealth
    let now: @Sendable () -> Date
    let logger: Logger

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/slack/events") { request, context in
            await answer(request, context.logger) { body throws(APIError) in try await event(body) }
        }
        router.post("/v1/slack/interactivity") { request, context in
            await answer(request, context.logger) { body throws(APIError) in try await interaction(body) }
        }
        router.post("/v1/slack/commands") { request, context in
            await answer(request, context.logger) { body throws(APIError) in try await command(body) }
        }
    }

    func answer(_ request: Request, _ logger: Logger, _ handle: (Data) async throws(APIError) -> Response) async -> Response {
        do throws(APIError) {
            let body = try await IncomingBody.collect(request, limit: EventsController.maxBodyBytes)
            do throws(SlackSignature.Error) {
                try signature.verify(
                    timestamp: request.headers[.slackRequestTimestamp],
                    signature: request.headers[.slackSignature],
                    body: body,
                    now: now()
                )
            } catch {
                throw APIError(status: .unauthorized, code: "bad_signature", message: "\(error)")
            }
            return try await handle(body)
        } catch {
            logger.info("Slack request refused", metadata: ["error.code": "\(error.code)"])
            return error.response()
        }
    }

    // MARK: Events API

    func event(_ body: Data) async throws(APIError) -> Response {
        let envelope: SlackEventEnvelope
        do {
            envelope = try SlackEventEnvelope.decode(body)
        } catch {
            throw APIError(status: .badRequest, code: "invalid_json", message: "\(error)")
        }
        switch envelope {
        case .urlVerification(let challenge):
            return Response.json(status: .ok, ["challenge": challenge])
        case .eventCallback(let callback):
            if callback.event.endsInstallation {
                try await uninstall(
                    teamID: callback.teamID,
                    because: callback.event.type,
                    at: callback.eventTime.map { Date(timeIntervalSince1970: TimeInterval($0)) }
                )
                return Response(status: .ok)
            }
            // Slack retries (X-Slack-Retry-Num) carry the same event_id: stored once.
            if callback.event.isDirectMessageFromUser, let user = callback.event.user {
                let team = callback.event.team ?? callback.teamID
                try await queue(.message(teamID: team, userID: user, text: callback.event.text ?? ""), externalID: "event:" + callback.eventID)
            }
            return Response(status: .ok)
        case .other:
            return Response(status: .ok)
        }
    }

    /// The workspace uninstalled the app or revoked its bot token: its installation and
    /// sealed token are deleted at once, and the workspace pauses — its users' notices wait for
    /// a reinstall (or go to their other chats) instead of being dead-lettered. Idempotent, so
    /// Slack's retries of the event change nothing.
    func uninstall(teamID: String, because event: String, at eventTime: Date?) async throws(APIError) {
        // A retry of an uninstall that a reinstall has overtaken changes nothing.
        guard let deleted = try await run({ try await workspaces.uninstalled(teamID: teamID, eventTime: eventTime) }) else { return }
        let paused = health.pause(ChannelHealth.Scope(channel: .slack, workspace: teamID), reason: "Slack: \(event)", now: now())
        if deleted || paused {
            logger.critical(
                "Slack workspace paused: the app was uninstalled or its token revoked; its notices wait for a reinstall",
                metadata: ["workspace": "\(teamID)", "event": "\(event)", "installation_deleted": "\(deleted)"]
            )
        }
    }

    // MARK: Interactivity

    func interaction(_ body: Data) async throws(APIError) -> Response {
        let interaction: SlackInteraction
        do {
            interaction = try SlackInteraction.decode(formBody: body)
        } catch {
            throw APIError(status: .badRequest, code: "invalid_payload", message: "\(error)")
        }
        switch interaction {
        case .blockActions(let actions):
            guard let team = actions.teamID else { throw APIError(status: .badRequest, code: "invalid_payload", message: "no team") }
            let chat = ChatAddress.slack(teamID: team, userID: actions.user.id)
            for action in actions.actions {
                guard let data = SlackMessenger.callbackData(of: action) else { continue }
                if case .updateKey(let reference)? = ButtonAction.parse(data) {
                    let refusal = try await run {
                        try await opener.open(in: chat, reference: reference, triggerID: actions.triggerID)
                    }
                    // Said from the user's lane, not here: Slack waits 3 seconds for this answer.
                    if refusal != nil {
                        try await run {
                            try await inbox.post(.keyFormNotOpened(reference: reference), to: chat, key: "form:" + actions.triggerID)
                        }
                    }
                } else {
                    try await queue(.tap(teamID: team, userID: actions.user.id, data: data), externalID: "tap:" + actions.triggerID)
                }
            }
            return Response(status: .ok)
        case .viewSubmission(let submission) where submission.view.callbackID == SlackKeyForm.callbackID:
            guard let team = submission.teamID else { throw APIError(status: .badRequest, code: "invalid_payload", message: "no team") }
            let words = await opener.words(for: .slack(teamID: team, userID: submission.user.id))
            switch SlackKeyForm.check(submission.view, words: words) {
            case .errors(let errors):
                return Response.json(status: .ok, SlackViewResponse.errors(errors))
            case .valid(let accountID, _, let apiKey, let apiSecret, let passphrase):
                try await queue(
                    .keySubmission(
                        teamID: team,
                        userID: submission.user.id,
                        accountID: accountID,
                        apiKey: apiKey,
                        apiSecret: apiSecret,
                        passphrase: passphrase
                    ),
                    externalID: "view:\(submission.view.id):\(submission.view.hash ?? "")"
                )
                return Response.json(status: .ok, SlackViewResponse.clear)
            }
        case .viewSubmission, .viewClosed, .other:
            return Response(status: .ok)
        }
    }

    // MARK: Slash commands

    func command(_ body: Data) async throws(APIError) -> Response {
        let command: SlackSlashCommand
        do {
            command = try SlackSlashCommand(formBody: body)
        } catch {
            throw APIError(status: .badRequest, code: "invalid_payload", message: "\(error)")
        }
        let chat = ChatAddress.slack(teamID: command.teamID, userID: command.userID)
        if case .update(let account)? = ChatCommand.parseSlack(command.text) {
            if let refusal = try await run({ try await opener.open(in: chat, reference: account, triggerID: command.triggerID) }) {
                return Response.json(status: .ok, ["response_type": "ephemeral", "text": try await say(refusal, in: chat)])
            }
            return Response(status: .ok)
        }
        try await queue(.command(teamID: command.teamID, userID: command.userID, text: command.text), externalID: "command:" + command.triggerID)
        return Response.json(status: .ok, ["response_type": "ephemeral", "text": try await say(.commandReceived, in: chat)])
    }

    // MARK: Helpers

    /// Stores the work sealed (a key submission carries credentials) and wakes the processor.
    func queue(_ inbound: SlackInbound, externalID: String) async throws(APIError) {
        do {
            let payload = try JSONEncoder().encode(inbound)
            let sealed = try SealedUpdate.seal(payload, channel: .slack, externalID: externalID, envelope: envelope)
            _ = try await store.recordUpdate(
                channel: .slack,
                externalID: externalID,
                lane: inbound.chat.description,
                payload: sealed,
                now: now()
            )
        } catch {
            throw APIError(status: .serviceUnavailable, code: "store_unavailable", message: "The request could not be stored; retry later")
        }
        wakeup.poke()
    }

    /// A reply's text for an answer Slack shows at once, in the user's language.
    func say(_ reply: ChatReply, in chat: ChatAddress) async throws(APIError) -> String {
        try await run { try await opener.sender.render(reply, for: chat).text }
    }

    func run<T>(_ work: () async throws -> T) async throws(APIError) -> T {
        do {
            return try await work()
        } catch {
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "The request could not be handled; retry later")
        }
    }
}

extension HTTPField.Name {
    static let slackSignature = Self("X-Slack-Signature")!
    static let slackRequestTimestamp = Self("X-Slack-Request-Timestamp")!
}
