import Foundation
import Logging
import RebindCore

/// The one road (DESIGN §9): every input of a chat, whatever it came from, is handled here,
/// in its chat's lane, and sent to the type whose job it is. It decides what happens; it knows
/// no platform's wire format.
struct ChatRouter: Sendable {
    let store: any LinkStore & LanguageStore
    let commands: AccountCommands
    let keyFlow: KeyFlowRunner
    let sender: ReplySender
    /// For platforms that do not send the user's language with each input (Slack).
    let languageLookup: (any LanguageLookup)?
    let now: @Sendable () -> Date
    let logger: Logger

    func handle(_ input: ChatInput) async throws {
        let chat = input.chat
        let event = try await deletingSecretsFirst(input)
        if input.isFromUser {
            // Whoever writes to the bot can be written to: a chat blocked earlier is open again.
            try await store.unblock(chat)
            try await noteLanguage(of: input)
        }
        switch event {
        case .command(let command, _, _):
            try await handle(command, in: chat, isPrivate: input.isPrivate)
        case .message(let text, let messageID):
            try await message(text, messageID: messageID, in: chat, isPrivate: input.isPrivate)
        case .tap(let action, let interactionID):
            try await tap(action, interactionID: interactionID, in: chat, isPrivate: input.isPrivate)
        case .keyForm(let accountID, let apiKey, let apiSecret, let passphrase):
            let fields = [apiKey, apiSecret.value] + (passphrase.map { [$0.value] } ?? [])
            try await keyFlow.submitForm(accountID: accountID, fields: fields, in: chat)
        case .keyFormNotOpened(let reference):
            // Why the form did not open: the account's answer if there is one, else a retry.
            switch try await keyFlow.accounts.choose(in: chat, reference: reference) {
            case .answer(let reply): try await sender.say(reply, to: chat)
            case .chosen: try await sender.say(.keyFormNotOpened, to: chat)
            }
        case .keyEnteredInForm(_, let keyHint, let stored):
            try await keyFlow.enteredInForm(keyHint: keyHint, stored: stored, in: chat)
        case .bindingAnswered(let accountID, let outcome):
            try await keyFlow.settle(accountID: accountID, outcome: outcome, in: chat)
        case .idle:
            try await keyFlow.idle(in: chat)
        case .resume:
            try await keyFlow.resume(in: chat)
        }
    }

    /// A Telegram message in a private chat may hold a secret: it is deleted before anything
    /// else is done with the input (anything else may fail, and the input be retried). So is a
    /// command-like text while the key flow waits for a secret: an OKX passphrase may start
    /// with `/`, and is taken as the passphrase; only `/cancel` still cancels. Returns the
    /// input's event with the message deleted (no message id left to delete).
    func deletingSecretsFirst(_ input: ChatInput) async throws -> ChatInput.Event {
        let chat = input.chat
        guard chat.channel == .telegram, input.isPrivate else { return input.event }
        switch input.event {
        case .message(let text, let messageID?):
            try await sender.deleteSecret(messageID, in: chat)
            return .message(text: text, messageID: nil)
        case .command(let command, let text?, let messageID) where command != .cancel:
            guard try await keyFlow.awaitsSecret(in: chat) else { return input.event }
            if let messageID { try await sender.deleteSecret(messageID, in: chat) }
            return .message(text: text, messageID: nil)
        default:
            return input.event
        }
    }

    /// Keeps what the user's app says of their language: Telegram says it with each message;
    /// Slack is asked once per chat (an empty answer remembers that it could not say).
    func noteLanguage(of input: ChatInput) async throws {
        if let code = input.languageCode, !code.isEmpty {
            try await store.recordReportedLanguage(code, chat: input.chat, now: now())
            return
        }
        guard let languageLookup, input.chat.channel == .slack,
            try await store.languagePreferences(userID: nil, chat: input.chat).slack == nil
        else { return }
        let tag = await languageLookup.reportedLanguage(of: input.chat) ?? ""
        try await store.recordReportedLanguage(tag, chat: input.chat, now: now())
    }

    func handle(_ command: ChatCommand, in chat: ChatAddress, isPrivate: Bool) async throws {
        switch command {
        case .start(let token?):
            try await commands.askToLink(token: token, in: chat)
        case .unlink:
            try await commands.askToUnlink(in: chat)
        case .start(nil), .help:
            try await commands.help(in: chat)
        case .update(let account):
            if chat.channel == .slack {
                // Slack opens the form when the command is typed; one reaching the lane was queued by mistake.
                try await sender.say(.typeUpdateToOpenForm, to: chat)
            } else if !isPrivate {
                try await sender.say(.privateChatOnly, to: chat)
            } else {
                try await keyFlow.start(in: chat, reference: account)
            }
        case .keys:
            try await commands.keys(in: chat)
        case .language(let tag):
            try await commands.language(tag, in: chat)
        case .cancel:
            if chat.channel == .slack {
                try await sender.say(.nothingToCancelInForm, to: chat)
            } else {
                try await keyFlow.cancel(in: chat)
            }
        }
    }

    /// A message that is not a command. In a key flow it is the next piece of the key. Outside
    /// one it may still be a pasted secret: on Telegram it is deleted; Slack does not let a bot
    /// delete it, so the user is told to delete it and revoke the key.
    func message(_ text: String?, messageID: String?, in chat: ChatAddress, isPrivate: Bool) async throws {
        guard isPrivate else { return }
        if chat.channel == .slack {
            if let text, SecretLikeText.looksLikeCredential(text) {
                logger.notice("A Slack user pasted what looks like a key into the DM", metadata: ["chat": "\(chat)"])
                try await sender.say(.pastedKeyInDirectMessage, to: chat)
            } else {
                try await sender.say(.keysOnlyInForm, to: chat)
            }
            return
        }
        // A photo or file without a caption is an empty paste to the key flow.
        if try await keyFlow.text(text ?? "", messageID: messageID, in: chat) { return }
        if let messageID { try await sender.deleteSecret(messageID, in: chat) }
        try await sender.say(.onlyDuringUpdate, to: chat)
    }

    func tap(_ action: ButtonAction?, interactionID: String?, in chat: ChatAddress, isPrivate: Bool) async throws {
        switch action {
        case .remindLater(let reference):
            let reply = try await commands.snooze(reference: reference, in: chat)
            if let interactionID {
                await sender.acknowledge(interactionID, in: chat, with: reply)
            } else {
                try await sender.say(reply, to: chat)
            }
        case .updateKey(let reference):
            // Answered before any slow work, or the user's client keeps spinning.
            if let interactionID { await sender.acknowledge(interactionID, in: chat, with: nil) }
            // Pasted messages are read (and deleted) only in private chats: a flow started in a
            // group would have its members paste secrets there, and leave them.
            guard isPrivate else {
                try await sender.say(.privateChatOnly, to: chat)
                return
            }
            try await keyFlow.start(in: chat, reference: reference)
        case .confirmLink(let reference):
            if let interactionID { await sender.acknowledge(interactionID, in: chat, with: nil) }
            try await commands.confirmLink(reference: reference, in: chat)
        case .confirmUnlink:
            if let interactionID { await sender.acknowledge(interactionID, in: chat, with: nil) }
            try await commands.unlink(in: chat)
        case .cancelLink, .cancelUnlink:
            if let interactionID { await sender.acknowledge(interactionID, in: chat, with: nil) }
            try await sender.say(.nothingChanged, to: chat)
        case nil:
            if let interactionID { await sender.acknowledge(interactionID, in: chat, with: nil) }
        }
    }
}

/// Text that holds what looks like a key or secret.
enum SecretLikeText {
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
