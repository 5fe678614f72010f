/// One input to a chat's conversation, whatever it came from: a Telegram update, a Slack
/// event, tap or form, the platform's answer to a binding update, or time passing. Channel
/// adapters translate their payloads into it; one lane processor handles every input of a
/// chat in order (DESIGN §9). Nothing here knows Telegram's or Slack's wire formats.
public struct ChatInput: Sendable, Equatable {
    public var chat: ChatAddress
    public var event: Event
    /// The sender's language as their app reports it (Telegram's `language_code`).
    public var languageCode: String?
    /// False in a group chat, where keys are never taken.
    public var isPrivate: Bool

    public init(chat: ChatAddress, event: Event, languageCode: String? = nil, isPrivate: Bool = true) {
        self.chat = chat
        self.event = event
        self.languageCode = languageCode
        self.isPrivate = isPrivate
    }

    public enum Event: Sendable, Equatable {
        /// A command (`/update`, `/rebind update`), with the message that carried it and its
        /// text as typed: in a key flow waiting for a secret, a text starting with `/` is the
        /// secret (an OKX passphrase may start with one), unless it is `/cancel`.
        case command(ChatCommand, text: String? = nil, messageID: String?)
        /// A message that is not a command: its text (or caption), nil for one without any.
        /// It may hold a pasted secret.
        case message(text: String?, messageID: String?)
        /// A tap on one of Rebind's buttons; `interactionID` is acknowledged (Telegram's
        /// callback query id).
        case tap(ButtonAction?, interactionID: String?)
        /// The key form (Slack's modal), submitted with values that passed the format checks.
        case keyForm(accountID: String, apiKey: String, apiSecret: Secret, passphrase: Secret?)
        /// The key form could not be opened for this account reference (said from the lane,
        /// since the request that tried had to answer at once).
        case keyFormNotOpened(reference: String?)
        /// A key entered in the Mini App key form passed the check: its binding update is on its
        /// way (or, `stored`, the key is kept here). Any key conversation open in the chat closes.
        case keyEnteredInForm(accountID: String, keyHint: String, stored: Bool)
        /// The platform answered the binding update of this account.
        case bindingAnswered(accountID: String, outcome: BindingOutcome)
        /// The conversation has been idle past its limit (or was left by a replica that died).
        case idle
        /// The service started: a check that a shutdown cut short is run again.
        case resume
    }

    /// How a binding update went, for the conversation waiting on it.
    public enum BindingOutcome: String, Sendable, Equatable, Codable {
        /// The platform has the key.
        case applied
        /// The platform refused it for good, or never answered: finish on the web.
        case refused
        /// The platform did not answer the first attempt; it is being retried.
        case delayed
    }

    /// Whether the user did this (rather than Rebind's timers or the platform).
    public var isFromUser: Bool {
        switch event {
        case .command, .message, .tap, .keyForm: true
        case .keyFormNotOpened, .keyEnteredInForm, .bindingAnswered, .idle, .resume: false
        }
    }
}
