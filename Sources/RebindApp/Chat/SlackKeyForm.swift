import Foundation
import RebindCore
import RebindRendering
import RebindSlack

/// The modal that takes a new key on Slack: the key, the secret and (OKX) the passphrase in
/// one form. Its private metadata names the account and exchange only; never a secret.
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

    static func view(for target: KeyConversation.Target, exchangeName: String) throws -> SlackView {
        let metadata = String(decoding: try JSONEncoder().encode(Metadata(account: target.accountID, exchange: target.exchange)), as: UTF8.self)
        let account = target.label.map { " for *\(Mrkdwn.escape($0))*" } ?? ""
        var blocks: [SlackBlock] = [
            .section(
                text: .mrkdwn(
                    "Replace the \(exchangeName) API key\(account). Create a new key on \(exchangeName) with trading on and "
                        + "withdrawals off, then paste it here. Nothing you type here is posted in a chat.")),
            input(keyBlock, label: "API Key"),
            input(secretBlock, label: "Secret Key"),
        ]
        if CredentialFormat(exchange: target.exchange).needsPassphrase {
            blocks.append(input(passphraseBlock, label: "Passphrase", hint: "The one you chose when you created the key."))
        }
        return SlackView(
            title: .plain("Update API key"), blocks: blocks, submit: .plain("Check key"), close: .plain("Cancel"),
            callbackID: callbackID, privateMetadata: metadata)
    }

    static func input(_ block: String, label: String, hint: String? = nil) -> SlackBlock {
        .input(
            blockID: block, label: .plain(label), element: SlackPlainTextInput(actionID: action, maxLength: 512),
            hint: hint.map { .plain($0) })
    }

    /// What a submission carries, or the field errors to show in the form: the same format
    /// checks, in the same words, as the Telegram flow's re-asks.
    enum Checked: Equatable {
        case valid(accountID: String, exchange: String, apiKey: String, apiSecret: String, passphrase: String?)
        case errors([String: String])
    }

    static func check(_ view: SlackViewInfo) -> Checked {
        guard let text = view.privateMetadata, let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(text.utf8)) else {
            return .errors([keyBlock: "This form is out of date. Close it and tap “Update API key” again."])
        }
        let format = CredentialFormat(exchange: metadata.exchange)
        func value(_ block: String) -> String { view.value(block: block, action: action) ?? "" }
        var errors: [String: String] = [:]
        var key: String?
        do {
            key = try format.apiKey(value(keyBlock))
        } catch {
            errors[keyBlock] = error.description
        }
        var secret: Secret?
        if let key {
            do {
                secret = try format.apiSecret(value(secretBlock), apiKey: key)
            } catch {
                errors[secretBlock] = error.description
            }
        }
        var passphrase: Secret?
        if format.needsPassphrase, let key, let secret {
            do {
                passphrase = try format.passphrase(value(passphraseBlock), apiKey: key, apiSecret: secret)
            } catch {
                errors[passphraseBlock] = error.description
            }
        }
        guard errors.isEmpty, let key, let secret else { return .errors(errors) }
        return .valid(accountID: metadata.account, exchange: metadata.exchange, apiKey: key, apiSecret: secret.value, passphrase: passphrase?.value)
    }
}
