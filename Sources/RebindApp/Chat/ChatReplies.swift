import Foundation
import RebindCore
import RebindRendering

/// The bot's own sentences in the key flow and for commands, as Telegram HTML or Slack
/// mrkdwn. Values that come from users or exchanges are escaped; no secret is ever passed in.
struct ChatReplies: Sendable {
    var catalogue: ExchangeCatalogue
    var channel: Channel = .telegram

    var format: OutgoingMessage.Format { channel == .telegram ? .html : .mrkdwn }

    func escape(_ text: String) -> String {
        channel == .telegram ? TelegramHTML.escape(text) : Mrkdwn.escape(text)
    }

    func bold(_ text: String) -> String {
        channel == .telegram ? "<b>\(text)</b>" : "*\(text)*"
    }

    func code(_ text: String) -> String {
        channel == .telegram ? "<code>\(text)</code>" : "`\(text)`"
    }

    /// A command as the user types it: `/update` on Telegram, `/rebind update` on Slack.
    func command(_ name: String) -> String {
        channel == .telegram ? "/\(name)" : "/rebind \(name)"
    }

    func exchangeName(_ id: String) -> String {
        catalogue.exchanges[id]?.name ?? id
    }

    func text(for reply: KeyConversation.Reply) -> String {
        switch reply {
        case .askKey(let exchange, let label):
            let account = label.map { " for " + bold(escape($0)) } ?? ""
            return "🔑 Let's replace the \(exchangeName(exchange)) API key\(account).\n"
                + "Create a new key on \(exchangeName(exchange)) (trading on, withdrawals off), then send me its \(bold("API Key")).\n"
                + "I delete every message with a key as soon as I read it. \(command("cancel")) stops."
        case .askSecret(let hint):
            return "Got the key ending in \(code("…" + escape(hint))). Now send its \(bold("Secret Key"))."
        case .askPassphrase:
            return "Now send the key's \(bold("Passphrase")) (the one you chose when you created it)."
        case .badPaste(let error):
            return "⚠️ \(escape(error.description))"
        case .checking(let exchange):
            return "⏳ Checking the key with \(exchangeName(exchange))…"
        case .stillWorking:
            return "⏳ Still working on the key; one moment."
        case .keyRefused(let cause, let warnings):
            // What to send next (a new key, or the secret or passphrase again) follows in its own reply.
            return "❌ \(escape(Self.refusal(cause)))" + list(warnings)
        case .checkUnavailable(let reason):
            return "⚠️ \(escape(reason))\nSend \(command("update")) to try again."
        case .tooManyAttempts(let retryAfter):
            return "⛔ Too many keys were refused for this account in the last hour. Try again after "
                + "\(Timestamp.format(retryAfter)), or finish on \(escape(catalogue.platformName)): "
                + "\(catalogue.bindingPath.joined(separator: " → "))."
        case .keyAccepted(let hint, let warnings):
            return "✅ The key ending in \(code("…" + escape(hint))) works for trading." + list(warnings)
        case .applied(let standalone):
            return standalone
                ? "🔒 The new key is stored encrypted. Enter it on \(escape(catalogue.platformName)) too: "
                    + "\(catalogue.bindingPath.joined(separator: " → ")), since this Rebind is not connected to the platform."
                : "🚀 \(escape(catalogue.platformName)) has the new key; your robots will resume shortly. I'll tell you when they do."
        case .finishOnWeb:
            return "⚠️ \(escape(catalogue.platformName)) did not accept the key from here. Please finish on the web: "
                + "\(bold(catalogue.bindingPath.joined(separator: " → "))), fill in the new key and save."
        case .cancelled:
            return "Cancelled. Nothing was kept."
        case .tooLateToCancel:
            return "The key is already on its way to \(escape(catalogue.platformName)) and can't be called back. I'll tell you how it went."
        case .expired:
            return "⌛ The key update timed out after 10 minutes without a reply; nothing was kept. Send \(command("update")) to start again."
        }
    }

    /// The platform did not answer the binding update the first time; it is being retried.
    var applyDelayed: String {
        "⏳ \(escape(catalogue.platformName)) isn't answering yet. I'll keep trying and tell you as soon as it has the key."
    }

    static func refusal(_ cause: Cause) -> String {
        switch cause {
        case .keyDeleted: "The exchange does not know this key (deleted, or for another environment)."
        case .keyExpired: "This key's trading permission has expired."
        case .permissionMissing: "This key does not have the permissions a robot needs."
        case .ipNotAllowed: "This key is restricted to IP addresses the platform does not use."
        case .passphraseWrong: "The passphrase does not match this key."
        case .secretWrong: "The secret key does not match this API key."
        case .notKeyRelated: "The exchange refused for a reason that is not about the key."
        case .unknown: "The exchange did not accept this key."
        }
    }

    func list(_ items: [String]) -> String {
        items.isEmpty ? "" : "\n" + items.map { "• " + escape($0) }.joined(separator: "\n")
    }

    var help: String {
        "I'm Rebind. When a robot on \(escape(catalogue.platformName)) stops because its exchange API key broke, "
            + "I tell you what happened and help you replace the key here.\n\n"
            + "\(command("update")): replace an account's API key\n\(command("status")): your accounts and the days their keys have left\n"
            + (channel == .telegram ? "/cancel: stop a key update\n" : "")
            + "\(command("help")): this message"
    }
}
