import Foundation
import Logging
import RebindCore
import RebindRendering
import RebindSlack

/// The modal that takes a new key on Slack: the key, the secret and (OKX) the passphrase in
/// one form. Its private metadata names the account and exchange only; never a secret. Its
/// words come from the templates, in the user's language.
enum SlackKeyForm {
    static let callbackID = "rebind.key"
    static let keyBlock = "api_key"
    static let secretBlock = "api_secret"
    static let passphraseBlock = "passphrase"
    static let action = "value"

    struct Metadata: Codable, Equatable {
        var account: String
        var exchange: String
    }

    /// The form's words in one language.
    struct Words: Sendable {
        let replies: ChatReplyRenderer
        let locale: String

        func label(_ label: ChatLabel) -> String {
            replies.label(label, channel: .slack, locale: locale)
        }

        func reply(_ reply: ChatReply) -> String {
            (try? replies.render(reply, channel: .slack, locale: locale).text) ?? ""
        }
    }

    static func view(for target: KeyConversation.Target, words: Words) throws -> SlackView {
        let metadata = String(decoding: try JSONEncoder().encode(Metadata(account: target.accountID, exchange: target.exchange)), as: UTF8.self)
        var blocks: [SlackBlock] = [
            .section(text: .mrkdwn(words.reply(.formIntro(exchange: target.exchange, label: target.label)))),
            input(keyBlock, label: words.label(.formAPIKey)),
            input(secretBlock, label: words.label(.formSecret)),
        ]
        if CredentialFormat(exchange: target.exchange).needsPassphrase {
            blocks.append(input(passphraseBlock, label: words.label(.formPassphrase), hint: words.label(.formPassphraseHint)))
        }
        return SlackView(
            title: .plain(words.label(.formTitle)),
            blocks: blocks,
            submit: .plain(words.label(.formSubmit)),
            close: .plain(words.label(.formClose)),
            callbackID: callbackID,
            privateMetadata: metadata
        )
    }

    static func input(_ block: String, label: String, hint: String? = nil) -> SlackBlock {
        .input(
            blockID: block,
            label: .plain(label),
            element: SlackPlainTextInput(actionID: action, maxLength: 512),
            hint: hint.map { .plain($0) }
        )
    }

    /// What a submission carries, or the field errors to show in the form: the same format
    /// checks, in the same words, as the Telegram flow's re-asks.
    enum Checked: Equatable {
        case valid(accountID: String, exchange: String, apiKey: String, apiSecret: String, passphrase: String?)
        case errors([String: String])
    }

    static func check(_ view: SlackViewInfo, words: Words) -> Checked {
        guard let text = view.privateMetadata, let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(text.utf8)) else {
            return .errors([keyBlock: words.label(.formOutOfDate)])
        }
        let format = CredentialFormat(exchange: metadata.exchange)
        func value(_ block: String) -> String { view.value(block: block, action: action) ?? "" }
        var errors: [String: String] = [:]
        var key: String?
        do {
            key = try format.apiKey(value(keyBlock))
        } catch {
            errors[keyBlock] = words.reply(.formFieldError(error))
        }
        var secret: Secret?
        if let key {
            do {
                secret = try format.apiSecret(value(secretBlock), apiKey: key)
            } catch {
                errors[secretBlock] = words.reply(.formFieldError(error))
            }
        }
        var passphrase: Secret?
        if format.needsPassphrase, let key, let secret {
            do {
                passphrase = try format.passphrase(value(passphraseBlock), apiKey: key, apiSecret: secret)
            } catch {
                errors[passphraseBlock] = words.reply(.formFieldError(error))
            }
        }
        guard errors.isEmpty, let key, let secret else { return .errors(errors) }
        return .valid(
            accountID: metadata.account,
            exchange: metadata.exchange,
            apiKey: key,
            apiSecret: secret.value,
            passphrase: passphrase?.value
        )
    }
}

/// Opens the key form at once, inside Slack's 3 seconds: "Update API key" or
/// `/rebind update [account]`, with the trigger Slack just gave (it expires in 3 seconds).
struct SlackKeyFormOpener: Sendable {
    let accounts: AccountDirectory
    let sender: ReplySender
    let workspaces: SlackWorkspaces
    let logger: Logger

    /// Nil when the form opened; otherwise what to tell the user instead.
    func open(in chat: ChatAddress, reference: String?, triggerID: String) async throws -> ChatReply? {
        guard let (teamID, _) = chat.slackUser else { return .keyFormNotOpened }
        let target: KeyConversation.Target
        switch try await accounts.choose(in: chat, reference: reference) {
        case .answer(let reply): return reply
        case .chosen(let chosen): target = chosen
        }
        let view = try SlackKeyForm.view(for: target, words: await words(for: chat))
        do {
            let client = try await workspaces.client(teamID: teamID)
            // The trigger lives 3 seconds and Slack waits no longer for our answer.
            _ = try await client.call(SlackViewsOpen(triggerID: triggerID, view: view), timeout: 2.5)
            return nil
        } catch {
            logger.notice("Key form not opened", metadata: ["chat": "\(chat)", "error": "\(error)"])
            return .keyFormNotOpened
        }
    }

    func words(for chat: ChatAddress) async -> SlackKeyForm.Words {
        SlackKeyForm.Words(replies: sender.replies, locale: await sender.locale(for: chat))
    }
}
