import Foundation
import RebindCore

/// `ChatMessenger` for Slack: a user's DM with the bot (`ChatAddress.slack(teamID:userID:)`,
/// its channel opened with `conversations.open` and cached), messages as Block Kit — the
/// mrkdwn text in sections, the buttons in an actions block — and the message's `ts` as the
/// returned id, which `chat.update` takes for edits.
///
/// A callback button becomes a Block Kit button whose `value` is the button's data exactly as
/// Telegram gets it as `callback_data` (`u:<account ref>`, `l:<incident ref>`: references, no
/// secret), and whose `action_id` names the action (`rebind.update`, `rebind.later`); a tap
/// arrives in `block_actions` and `callbackData(of:)` gives the data back, so one handler
/// serves both platforms. Pacing (Slack's ~1 message per second per channel) is the outbox's
/// job; a 429 comes back as `.rateLimited`.
public struct SlackMessenger: ChatMessenger {
    public let channel = Channel.slack
    /// The client for a workspace: one bot token per installed workspace.
    private let client: @Sendable (_ teamID: String) async throws(DeliveryError) -> SlackClient
    public let directChannels: SlackDirectChannels

    /// One workspace's client (`REBIND_SLACK_BOT_TOKEN`), for every address.
    public init(client: SlackClient, directChannels: SlackDirectChannels = SlackDirectChannels()) {
        self.client = { _ throws(DeliveryError) in client }
        self.directChannels = directChannels
    }

    /// A client per workspace (OAuth installs); the closure throws `.permanent` or `.blocked`
    /// for a workspace without a token.
    public init(
        directChannels: SlackDirectChannels = SlackDirectChannels(),
        clientForTeam: @escaping @Sendable (_ teamID: String) async throws(DeliveryError) -> SlackClient
    ) {
        self.client = clientForTeam
        self.directChannels = directChannels
    }

    public func send(_ message: OutgoingMessage, to chat: ChatAddress) async throws(DeliveryError) -> String {
        let (text, blocks, mrkdwn) = try Self.parts(of: message)
        let (client, channelID) = try await directMessage(chat)
        do {
            return try await client.postMessage(SlackPostMessage(channel: channelID, text: text, blocks: blocks, mrkdwn: mrkdwn)).ts
        } catch {
            throw failure(error, for: chat)
        }
    }

    public func edit(messageID: String, in chat: ChatAddress, to message: OutgoingMessage) async throws(DeliveryError) {
        guard Self.isMessageTS(messageID) else {
            throw .permanent(reason: "Slack message ids are timestamps like 1700000000.000100, not \"\(messageID)\"")
        }
        let (text, blocks, _) = try Self.parts(of: message)
        let (client, channelID) = try await directMessage(chat)
        do {
            try await client.updateMessage(SlackUpdateMessage(channel: channelID, ts: messageID, text: text, blocks: blocks))
        } catch {
            throw failure(error, for: chat)
        }
    }

    /// Slack lets a bot delete only its own messages, never the user's, so a secret pasted into
    /// the DM stays: `.permanent`, and the user is asked to delete it (and revoke the key).
    public func delete(messageID: String, in chat: ChatAddress) async throws(DeliveryError) {
        throw .permanent(reason: "Slack does not let a bot delete a user's message")
    }

    /// `auth.test` with the workspace's token: throws `.channelRefused` while Slack refuses it
    /// (or the workspace has no installation any more).
    public func probe(workspace: String?) async throws(DeliveryError) {
        guard let workspace else { throw .permanent(reason: "a Slack probe needs the workspace") }
        let client = try await client(workspace)
        do {
            _ = try await client.authTest()
        } catch {
            throw error.deliveryError
        }
    }

    // MARK: The DM

    /// The workspace's client and the user's DM channel, opening it the first time.
    func directMessage(_ chat: ChatAddress) async throws(DeliveryError) -> (SlackClient, String) {
        guard chat.channel == .slack else { throw .permanent(reason: "\(chat) is not a Slack chat") }
        guard let (teamID, userID) = chat.slackUser else {
            throw .permanent(reason: "Slack addresses are TEAM/USER, not \"\(chat.id)\"")
        }
        let client = try await client(teamID)
        if let channelID = directChannels.channel(for: chat) { return (client, channelID) }
        do {
            let channelID = try await client.openDirectMessage(user: userID)
            directChannels.remember(channelID, for: chat)
            return (client, channelID)
        } catch {
            throw error.deliveryError
        }
    }

    /// The delivery error; a DM Slack no longer knows is forgotten, so it is opened afresh.
    private func failure(_ error: SlackClient.Error, for chat: ChatAddress) -> DeliveryError {
        let delivery = error.deliveryError
        if case .blocked = delivery { directChannels.forget(chat) }
        return delivery
    }

    // MARK: Translation

    /// Action ids by the prefix of a callback button's data, as the app writes it.
    /// The action id of the "Update API key" button (shown as the primary one).
    public static let updateActionID = "rebind.update"
    /// The action id of the "Remind me later" button.
    public static let laterActionID = "rebind.later"
    /// The action ids of the link and unlink questions' buttons.
    public static let confirmActionID = "rebind.confirm"
    public static let cancelActionID = "rebind.cancel"
    /// The action id of a callback button whose data has no known prefix.
    public static let callbackActionID = "rebind.callback"
    /// The action id of link buttons; Slack reports their taps too, to be acknowledged only.
    public static let linkActionID = "rebind.link"

    /// The `action_id` for a callback button's data: `u:…` is `rebind.update`.
    public static func actionID(forCallbackData data: String) -> String {
        switch ButtonAction.parse(data) {
        case .updateKey?: updateActionID
        case .remindLater?: laterActionID
        case .confirmLink?, .confirmUnlink?: confirmActionID
        case .cancelLink?, .cancelUnlink?: cancelActionID
        case nil: callbackActionID
        }
    }

    /// The callback data of a tapped button of Rebind's (what Telegram's `callback_data`
    /// would have been); nil for links and other apps' actions.
    public static func callbackData(of action: SlackBlockActions.Action) -> String? {
        guard action.actionID.hasPrefix("rebind."), !action.actionID.hasPrefix(linkActionID), action.url == nil else { return nil }
        return action.value
    }

    /// Slack's message timestamps: seconds, a dot, six digits.
    static func isMessageTS(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && parts.allSatisfy { $0.allSatisfy(\.isASCIIDigit) }
    }

    /// The fallback text, the blocks and whether the fallback is mrkdwn, for a message;
    /// refuses what Slack would refuse or could not show.
    static func parts(of message: OutgoingMessage) throws(DeliveryError) -> (String, [SlackBlock], Bool?) {
        let text = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw .permanent(reason: "Slack refuses a message without text") }
        let textObject: (String) -> SlackText
        let mrkdwn: Bool?
        switch message.format {
        case .mrkdwn:
            textObject = SlackText.mrkdwn
            mrkdwn = nil
        case .plain:
            // plain_text shows `<`, `>` and `&` as written; the fallback must not parse them either.
            textObject = { SlackText(type: .plainText, text: $0, emoji: true) }
            mrkdwn = false
        case .html:
            throw .permanent(reason: "Slack can't show Telegram HTML; render the Slack (mrkdwn) template")
        }
        var blocks = sections(of: text).map { SlackBlock.section(text: textObject($0)) }
        blocks += actions(message.buttons)
        if let problem = blocks.lazy.compactMap(\.problem).first { throw .permanent(reason: problem) }
        return (text, blocks, mrkdwn)
    }

    /// The text in pieces that fit a section (3,000 characters), cut between lines where it can.
    static func sections(of text: String) -> [String] {
        let limit = SlackBlock.sectionTextLimit
        guard text.utf16.count > limit else { return [text] }
        var pieces: [String] = []
        var current = ""
        func flush() {
            if !current.isEmpty { pieces.append(current) }
            current = ""
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(line)
            let joined = current.isEmpty ? line : current + "\n" + line
            if joined.utf16.count <= limit {
                current = joined
                continue
            }
            flush()
            // A line longer than a section on its own is cut between characters.
            while line.utf16.count > limit {
                var piece = ""
                for character in line {
                    if piece.utf16.count + character.utf16.count > limit { break }
                    piece.append(character)
                }
                pieces.append(piece)
                line.removeFirst(piece.count)
            }
            current = line
        }
        flush()
        return pieces.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }

    /// The buttons, side by side in actions blocks of at most 25; none without buttons, which
    /// also removes the buttons from an edited message. Action ids are made unique.
    static func actions(_ rows: [[OutgoingMessage.Button]]) -> [SlackBlock] {
        var used: [String: Int] = [:]
        func unique(_ id: String) -> String {
            used[id, default: 0] += 1
            return used[id] == 1 ? id : "\(id).\(used[id]!)"
        }
        let buttons = rows.joined().compactMap { button -> SlackButton? in
            switch button {
            case .callback(let title, let data):
                let id = actionID(forCallbackData: data)
                return SlackButton(
                    text: .plain(title),
                    actionID: unique(id),
                    value: data,
                    style: id == updateActionID || id == confirmActionID ? .primary : nil
                )
            case .url(let title, let url):
                return SlackButton(text: .plain(title), actionID: unique(linkActionID), url: url)
            case .webApp:
                // Slack has no Mini Apps; its key form is the modal.
                return nil
            }
        }
        return stride(from: 0, to: buttons.count, by: SlackBlock.actionsLimit).map { start in
            .actions(elements: Array(buttons[start..<min(start + SlackBlock.actionsLimit, buttons.count)]))
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
