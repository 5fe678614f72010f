import Foundation
import RebindCore
import RebindSlack

extension KeyConversation.Reply {
    /// Replies that ask the user to type the next piece of the key: Slack's form has them all.
    var asksForText: Bool {
        switch self {
        case .askKey, .askSecret, .askPassphrase: true
        default: false
        }
    }
}

/// Slack's side of the bot. The key flow is the same conversation as on Telegram, fed the
/// form's three fields at once; commands and answers are the same, in mrkdwn.
extension ChatBot {
    // MARK: At once, inside Slack's 3 seconds

    /// "Update API key" or `/rebind update [account]`: opens the key form with the trigger
    /// Slack just gave (it expires in 3 seconds). Returns what to tell the user instead when
    /// no form was opened.
    func openKeyForm(in chat: ChatAddress, reference: String?, triggerID: String) async throws -> String? {
        guard let (teamID, _) = chat.slackUser, let slack else { return "Slack is not set up on this Rebind." }
        let target: KeyConversation.Target
        switch try await chooseAccount(in: chat, reference: reference) {
        case .answer(let text): return text
        case .chosen(let chosen): target = chosen
        }
        let view = try SlackKeyForm.view(for: target, exchangeName: replies(chat).exchangeName(target.exchange))
        do {
            let client = try await slack.client(teamID: teamID)
            // The trigger lives 3 seconds and Slack waits no longer for our answer.
            _ = try await client.call(SlackViewsOpen(triggerID: triggerID, view: view), timeout: 2.5)
            return nil
        } catch {
            logger.notice("Key form not opened", metadata: ["chat": "\(chat)", "error": "\(error)"])
            return "I couldn't open the key form just now. Please try `/rebind update` again."
        }
    }

    // MARK: In the user's lane

    func handle(_ inbound: SlackInbound) async throws {
        let chat = inbound.chat
        try await locks.withLock(chat) {
            // The user is using the bot: a DM marked blocked (deactivated, closed) is open again.
            if case .answer = inbound {} else { try await store.unblock(chat) }
            switch inbound {
            case .message(_, _, let text):
                try await directMessage(text, in: chat)
            case .command(_, _, let text):
                try await slackCommand(text, in: chat)
            case .answer(_, _, let text):
                try await say(text, to: chat)
            case .tap(_, _, let data):
                if data.hasPrefix("l:") {
                    try await say(try await snooze(reference: String(data.dropFirst(2)), in: chat), to: chat)
                }
            case .keySubmission(_, _, let accountID, let apiKey, let apiSecret, let passphrase):
                try await submitKey(accountID: accountID, fields: [apiKey, apiSecret] + (passphrase.map { [$0] } ?? []), in: chat)
            }
        }
    }

    /// Slack does not let a bot delete what a user wrote, so a pasted key stays in the DM:
    /// the user is told to delete it and revoke the key, and where keys go instead.
    func directMessage(_ text: String, in chat: ChatAddress) async throws {
        if Self.looksLikeCredential(text) {
            logger.notice("A Slack user pasted what looks like a key into the DM", metadata: ["chat": "\(chat)"])
            try await say(
                "⚠️ That looks like an API key or secret. I can't delete messages in Slack: *delete that message now*, "
                    + "and *revoke the key* on the exchange, since it was shown in a chat. Then create a new key and enter it "
                    + "in the private form: tap *Update API key* or type `/rebind update`.", to: chat)
        } else {
            try await say("I take new API keys in a private form, never in messages. Type `/rebind update` to open it, or `/rebind help`.", to: chat)
        }
    }

    func slackCommand(_ text: String, in chat: ChatAddress) async throws {
        switch ChatCommand.parseSlack(text) {
        case .update?:
            // Opened at once when typed; queued only by mistake.
            try await say("Type `/rebind update` to open the key form.", to: chat)
        case .cancel?:
            try await say("Nothing to cancel: a key form is cancelled by closing it.", to: chat)
        case let command?:
            try await handle(command, in: chat)
        case nil:
            try await say(replies(chat).help, to: chat)
        }
    }

    /// The form's fields go through the same conversation as on Telegram: checked, then the
    /// exchange check, the sealed store and the binding update. A refusal ends the
    /// conversation (a form has no "send the secret again"): the user opens the form again.
    func submitKey(accountID: String, fields: [String], in chat: ChatAddress) async throws {
        guard let userID = try await store.userID(linkedTo: chat),
            let target = try await accounts(of: userID).first(where: { $0.accountID == accountID })
        else {
            try await say("That account is not one this Slack account may update.", to: chat)
            return
        }
        if let existing = try await loadConversation(chat) {
            switch existing.step {
            case .checking, .applying:
                try await say(replies(chat).text(for: .stillWorking), to: chat)
                return
            case .awaitingKey, .awaitingSecret, .awaitingPassphrase, .finished:
                break
            }
        }
        if let next = try await nextCheckAllowed(accountID: target.accountID) {
            try await say(replies(chat).text(for: .tooManyAttempts(retryAfter: next)), to: chat)
            return
        }
        var (conversation, _) = KeyConversation.start(chat: chat, target: target, now: now())
        var actions: [KeyConversation.Action] = []
        for field in fields where !conversation.isFinished {
            actions += conversation.handle(.text(field, messageID: nil), now: now())
        }
        try await perform(actions, in: &conversation)
        switch conversation.step {
        case .awaitingKey, .awaitingSecret, .awaitingPassphrase:
            try await store.deleteConversation(chat: chat)
            try await say("Tap *Update API key* or type `/rebind update` to enter a key again.", to: chat)
        case .checking, .applying, .finished:
            break
        }
    }

    /// A message that holds a long run of key-like characters (letters and digits, with
    /// the few symbols keys and secrets use) mixing letters and digits. Runs are cut at any
    /// other character, not only at spaces: Slack sends what the user formatted as code with
    /// its backticks (`` `KEY` ``, ```` ```KEY``` ````), and a paste often comes with
    /// punctuation (`secret:KEY`, `"KEY",`) — still a key shown in a chat.
    static func looksLikeCredential(_ text: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
        return text.split(whereSeparator: { !allowed.contains($0) }).contains { run in
            run.count >= 16 && run.contains(where: \.isNumber) && run.contains(where: \.isLetter)
        }
    }
}
