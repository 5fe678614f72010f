import Foundation

/// Everything the bot says in a chat that is not an incident's notice: the key flow's
/// prompts and answers, command answers, help and errors. A value, so what to say is decided
/// here and in the services, and how it reads (in which language, with which markup) comes
/// from the templates (`templates/<locale>/<channel>/replies/`); no sentence lives in Swift.
public enum ChatReply: Sendable, Equatable {
    /// What the key conversation says.
    case conversation(KeyConversation.Reply)
    /// `/help` (and `/start` without a token).
    case help
    /// `/start <token>` (`/rebind link <token>`): whom the chat would be linked to, asked
    /// with Confirm / Cancel buttons. Nothing is linked and the token is not spent until Confirm.
    case confirmLink(LinkQuestion)
    /// Confirm linked the chat to the user the platform calls `displayName`; help follows.
    case linked(displayName: String)
    /// Cancel on the link question (or on `/unlink`'s): nothing changed.
    case nothingChanged
    /// To the other chats of a user whose chat was linked to someone else.
    case chatLeft(channel: Channel)
    /// `/unlink`: asked with Unlink / Cancel buttons.
    case confirmUnlink(displayName: String?)
    /// The chat is no longer linked; events naming it no longer reach it until it is linked.
    case unlinked
    /// Several platform users name this chat and none has linked it: it gets nothing until
    /// one of them does.
    case chatAmbiguous
    /// A message could not be handled after several tries; it was dropped.
    case inputFailed
    /// The link token is unknown, used or expired.
    case linkUnknown
    /// The chat is linked to no platform user.
    case notLinked
    /// The user has no account Rebind knows of to update.
    case noAccountToUpdate
    /// `/update` without an account, and the user has several.
    case whichAccount([AccountOption])
    /// A key flow asked for in a group chat.
    case privateChatOnly
    /// Text outside a key flow (it may have been a secret, and was deleted).
    case onlyDuringUpdate
    case nothingToCancel
    /// `/keys` (and `/status`): each bound account.
    case accounts([AccountLine])
    case noBoundAccounts
    /// Keys about to lapse (DESIGN §10): one message per user per moment, an **Update API
    /// key** button per account.
    case expiryWarning([ExpiringAccount])
    /// "Remind me later" took effect.
    case snoozed(hours: Int)
    /// "Remind me later" on an incident that is resolved already.
    case nothingToSnooze
    /// The platform did not take the binding update at once; it is being retried.
    case bindingDelayed
    /// A message that held a secret could not be deleted.
    case deleteFailed
    /// `/language` without a tag: the language now and those to choose from.
    case language(current: String, available: [String])
    case languageSet(String)
    case languageUnknown(String, available: [String])
    /// Slack: a DM that looks like a key or secret (the bot cannot delete it).
    case pastedKeyInDirectMessage
    /// Slack: a DM outside the form.
    case keysOnlyInForm
    /// Slack: `/rebind update` reached the lane instead of opening the form at once.
    case typeUpdateToOpenForm
    /// Slack: `/rebind cancel`.
    case nothingToCancelInForm
    /// Slack: a form for an account this user may not update.
    case accountNotYours
    /// Slack: the form's key was refused; the form is opened again to retry.
    case enterKeyAgain
    /// Slack: the key form could not be opened.
    case keyFormNotOpened
    /// Slack: the command's immediate answer; the reply follows in the DM.
    case commandReceived
    /// Slack: the key form's opening paragraph.
    case formIntro(exchange: String, label: String?)
    /// Slack: what is wrong with a field of the key form (plain text, under the field).
    case formFieldError(CredentialFormat.Error)
    /// A field's documented format, as the key form hints it while the user types: the rule,
    /// or (none) the OKX passphrase's length.
    case formFieldRule(CredentialFormat.Field, CredentialFormat.RuleKind?)
    /// Telegram: a key entered in the Mini App key form passed the check; `closedFlow` when a
    /// key conversation open in the chat was closed for it.
    case keyEnteredInForm(keyHint: String, closedFlow: Bool)

    /// The link `/start <token>` would make.
    public struct LinkQuestion: Sendable, Equatable {
        /// The base64url SHA-256 of the token, carried by the Confirm button.
        public var tokenHash: String
        /// How the platform names the user to themselves (a masked e-mail, a nickname).
        public var displayName: String
        /// Who the chat belongs to now.
        public var current: ChatOwner

        public init(tokenHash: String, displayName: String, current: ChatOwner) {
            self.tokenHash = tokenHash
            self.displayName = displayName
            self.current = current
        }
    }

    /// What to tell a chat that belongs to no user: how to link it.
    public static func unowned(_ owner: ChatOwner) -> ChatReply {
        owner == .ambiguous ? .chatAmbiguous : .notLinked
    }

    /// One of Rebind's buttons on a reply.
    public struct Button: Sendable, Equatable {
        public var label: ChatLabel
        public var action: ButtonAction
        /// The account a label names (one button per account, when there are several).
        public var account: ButtonAccount?
        /// The account whose key the button updates: where the Mini App key form may be
        /// offered beside it (DESIGN §3).
        public var keyFormAccountID: String?

        public init(_ label: ChatLabel, _ action: ButtonAction, account: ButtonAccount? = nil, keyFormAccountID: String? = nil) {
            self.label = label
            self.action = action
            self.account = account
            self.keyFormAccountID = keyFormAccountID
        }
    }

    /// The buttons a reply carries: what each is labelled and does when tapped.
    public var buttons: [[Button]] {
        switch self {
        case .confirmLink(let question):
            [[Button(.confirmButton, .confirmLink(tokenHash: question.tokenHash)), Button(.cancelButton, .cancelLink)]]
        case .confirmUnlink:
            [[Button(.unlinkButton, .confirmUnlink), Button(.cancelButton, .cancelUnlink)]]
        case .expiryWarning(let accounts) where accounts.count == 1:
            [[Button(.updateKeyButton, .updateKey(account: accounts[0].reference), keyFormAccountID: accounts[0].accountID)]]
        case .expiryWarning(let accounts):
            accounts.map {
                [
                    Button(
                        .updateAccountButton,
                        .updateKey(account: $0.reference),
                        account: ButtonAccount(exchange: $0.exchange, label: $0.label, keyHint: $0.keyHint),
                        keyFormAccountID: $0.accountID
                    )
                ]
            }
        default:
            []
        }
    }

    /// The account a button's label names ("Update Main (Binance)").
    public struct ButtonAccount: Sendable, Equatable {
        public var exchange: String
        public var label: String?
        public var keyHint: String?

        public init(exchange: String, label: String?, keyHint: String?) {
            self.exchange = exchange
            self.label = label
            self.keyHint = keyHint
        }
    }

    /// An account whose key lapses soon, as an expiry warning lists it.
    public struct ExpiringAccount: Sendable, Equatable {
        /// The account's reference in button data.
        public var reference: String
        /// The platform's id of the account (for the key form's address).
        public var accountID: String?
        public var exchange: String
        public var label: String?
        public var keyHint: String?
        public var expiresAt: Date
        /// Whole days left when the warning is sent (not the moment's nominal count).
        public var daysLeft: Int
        public var source: KeyExpiry.Source

        public init(
            reference: String,
            exchange: String,
            label: String?,
            keyHint: String?,
            expiresAt: Date,
            daysLeft: Int,
            source: KeyExpiry.Source,
            accountID: String? = nil
        ) {
            self.reference = reference
            self.accountID = accountID
            self.exchange = exchange
            self.label = label
            self.keyHint = keyHint
            self.expiresAt = expiresAt
            self.daysLeft = daysLeft
            self.source = source
        }
    }

    /// An account the user may pick for `/update`.
    public struct AccountOption: Sendable, Equatable {
        public var accountID: String
        public var label: String?

        public init(accountID: String, label: String?) {
            self.accountID = accountID
            self.label = label
        }
    }

    /// One bound account in `/keys`.
    public struct AccountLine: Sendable, Equatable {
        public var exchange: String
        public var label: String?
        public var keyHint: String?
        /// When the key stops trading, if known; nil also for a key that does not lapse.
        public var expiresAt: Date?
        /// Whole days left until then (a key bound just now shows its full validity); 0 when past.
        public var daysLeft: Int?
        public var expirySource: KeyExpiry.Source?

        public init(exchange: String, label: String?, keyHint: String?, expiresAt: Date?, daysLeft: Int?, expirySource: KeyExpiry.Source?) {
            self.exchange = exchange
            self.label = label
            self.keyHint = keyHint
            self.expiresAt = expiresAt
            self.daysLeft = daysLeft
            self.expirySource = expirySource
        }
    }
}

/// The words of the pages a workspace admin sees when installing the Slack app
/// (`slack/labels/install_*`), plain text.
public enum InstallLabel: String, Sendable, CaseIterable {
    case installedTitle = "install_installed_title"
    /// `{{workspace}}`: the workspace's name, or its id when Slack gave no name.
    case installed = "install_installed"
    case notInstalledTitle = "install_not_installed_title"
    case cancelled = "install_cancelled"
    /// `{{error}}`: the error code Slack ended the install with.
    case slackError = "install_slack_error"
    case linkInvalidTitle = "install_link_invalid_title"
    case stateMissing = "install_state_missing"
    case stateForged = "install_state_forged"
    case stateExpired = "install_state_expired"
    case stateInFuture = "install_state_in_future"
    case cookieMissing = "install_cookie_missing"
    case wrongBrowser = "install_wrong_browser"
    case replayed = "install_replayed"
    case noCode = "install_no_code"
    case unconfirmedTitle = "install_unconfirmed_title"
    case unconfirmed = "install_unconfirmed"
    case notSavedTitle = "install_not_saved_title"
    case notSaved = "install_not_saved"
    case restart = "install_restart"
}

/// Plain-text labels: buttons and the Slack key form's title, fields and hints.
public enum ChatLabel: String, Sendable, CaseIterable {
    case updateKeyButton = "update_key_button"
    /// Update API key for one named account, when a message lists several.
    case updateAccountButton = "update_account_button"
    case helpPageButton = "help_page_button"
    case remindLaterButton = "remind_later_button"
    case confirmButton = "confirm_button"
    case cancelButton = "cancel_button"
    case unlinkButton = "unlink_button"
    case formTitle = "form_title"
    case formSubmit = "form_submit"
    case formClose = "form_close"
    case formAPIKey = "form_api_key"
    case formSecret = "form_secret"
    case formPassphrase = "form_passphrase"
    case formPassphraseHint = "form_passphrase_hint"
    case formOutOfDate = "form_out_of_date"
    /// The Mini App key form's button, beside Update API key (Telegram private chats).
    case enterKeySecurelyButton = "enter_key_securely_button"
    /// The Mini App key form's own words (its fields and buttons are the `form_*` labels).
    case keyFormLoading = "keyform_loading"
    case keyFormNoLaunch = "keyform_no_launch"
    case keyFormNetworkError = "keyform_network_error"
    case keyFormExpired = "keyform_expired"
    case keyFormQueued = "keyform_queued"
    case keyFormClose = "keyform_close"
    /// The locale's own name for its language ("English", "简体中文"), for `/language`.
    case languageName = "language_name"
    /// The bot's command menu (Telegram `setMyCommands`): what each command does.
    case commandUpdate = "command_update"
    case commandKeys = "command_keys"
    case commandLanguage = "command_language"
    case commandUnlink = "command_unlink"
    case commandCancel = "command_cancel"
    case commandHelp = "command_help"

    /// The menu's description of a command of `ChatCommand.menu`.
    public static func menu(_ command: String) -> ChatLabel? {
        ChatLabel(rawValue: "command_" + command)
    }
}
