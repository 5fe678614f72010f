import Foundation
import RebindCore
import RebindRendering

/// The bot's own sentences in the key flow and for commands, as Telegram HTML. Values that
/// come from users or exchanges are escaped; no secret is ever passed in.
struct ChatReplies: Sendable {
    var catalogue: ExchangeCatalogue

    func exchangeName(_ id: String) -> String {
        catalogue.exchanges[id]?.name ?? id
    }

    func text(for reply: KeyConversation.Reply) -> String {
        switch reply {
        case .askKey(let exchange, let label):
            let account = label.map { " for <b>\(Self.escape($0))</b>" } ?? ""
            return "🔑 Let's replace the \(exchangeName(exchange)) API key\(account).\n"
                + "Create a new key on \(exchangeName(exchange)) (trading on, withdrawals off), then send me its <b>API Key</b>.\n"
                + "I delete every message with a key as soon as I read it. /cancel stops."
        case .askSecret(let hint):
            return "Got the key ending in <code>…\(Self.escape(hint))</code>. Now send its <b>Secret Key</b>."
        case .askPassphrase:
            return "Now send the key's <b>Passphrase</b> (the one you chose when you created it)."
        case .badPaste(let error):
            return "⚠️ \(Self.escape(error.description))"
        case .checking(let exchange):
            return "⏳ Checking the key with \(exchangeName(exchange))…"
        case .stillWorking:
            return "⏳ Still working on the key; one moment."
        case .keyRefused(let cause, let warnings):
            // What to send next (a new key, or the secret or passphrase again) follows in its own reply.
            return "❌ \(Self.escape(Self.refusal(cause)))" + Self.list(warnings)
        case .checkUnavailable(let reason):
            return "⚠️ \(Self.escape(reason))\nSend /update to try again."
        case .tooManyAttempts(let retryAfter):
            return "⛔ Too many keys were refused for this account in the last hour. Try again after "
                + "\(Timestamp.format(retryAfter)), or finish on \(Self.escape(catalogue.platformName)): "
                + "\(catalogue.bindingPath.joined(separator: " → "))."
        case .keyAccepted(let hint, let warnings):
            return "✅ The key ending in <code>…\(Self.escape(hint))</code> works for trading." + Self.list(warnings)
        case .applied(let standalone):
            return standalone
                ? "🔒 The new key is stored encrypted. Enter it on \(Self.escape(catalogue.platformName)) too: "
                    + "\(catalogue.bindingPath.joined(separator: " → ")), since this Rebind is not connected to the platform."
                : "🚀 \(Self.escape(catalogue.platformName)) has the new key; your robots will resume shortly. I'll tell you when they do."
        case .finishOnWeb:
            return "⚠️ \(Self.escape(catalogue.platformName)) did not accept the key from here. Please finish on the web: "
                + "<b>\(catalogue.bindingPath.joined(separator: " → "))</b>, fill in the new key and save."
        case .cancelled:
            return "Cancelled. Nothing was kept."
        case .tooLateToCancel:
            return "The key is already on its way to \(Self.escape(catalogue.platformName)) and can't be called back. I'll tell you how it went."
        case .expired:
            return "⌛ The key update timed out after 10 minutes without a reply; nothing was kept. Send /update to start again."
        }
    }

    /// The platform did not answer the binding update the first time; it is being retried.
    var applyDelayed: String {
        "⏳ \(Self.escape(catalogue.platformName)) isn't answering yet. I'll keep trying and tell you as soon as it has the key."
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

    static func list(_ items: [String]) -> String {
        items.isEmpty ? "" : "\n" + items.map { "• " + escape($0) }.joined(separator: "\n")
    }

    static func escape(_ text: String) -> String {
        TelegramHTML.escape(text)
    }

    var help: String {
        "I'm Rebind. When a robot on \(Self.escape(catalogue.platformName)) stops because its exchange API key broke, "
            + "I tell you what happened and help you replace the key here.\n\n"
            + "/update: replace an account's API key\n/status: your accounts and the days their keys have left\n"
            + "/cancel: stop a key update\n/help: this message"
    }
}
