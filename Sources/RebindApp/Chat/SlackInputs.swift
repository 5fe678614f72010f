import Foundation
import RebindCore

/// Slack's side of the one road: what a Slack request left for the lane becomes a `ChatInput`.
enum SlackInputs {
    static func input(from inbound: SlackInbound) -> ChatInput {
        let event: ChatInput.Event =
            switch inbound {
            case .message(_, _, let text):
                .message(text: text, messageID: nil)
            case .command(_, _, let text):
                .command(ChatCommand.parseSlack(text) ?? .help, text: text, messageID: nil)
            case .tap(_, _, let data):
                .tap(ButtonAction.parse(data), interactionID: nil)
            case .answer:
                // Stored by an earlier version for a key form that did not open.
                .keyFormNotOpened(reference: nil)
            case .keySubmission(_, _, let accountID, let apiKey, let apiSecret, let passphrase):
                .keyForm(accountID: accountID, apiKey: apiKey, apiSecret: Secret(apiSecret), passphrase: passphrase.map(Secret.init))
            }
        return ChatInput(chat: inbound.chat, event: event)
    }
}
