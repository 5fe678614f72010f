import Foundation
import RebindCore

extension ChatReply {
    /// The exchange a reply is about, when it names one itself.
    var exchange: String? {
        switch self {
        case .conversation(.askKey(let exchange, _)), .conversation(.checking(let exchange)),
            .conversation(.accountMismatch(let exchange)):
            exchange
        default: nil
        }
    }
}

extension ChatReplyRenderer {
    /// Every reply's template, under `replies/`.
    static let replyNames = [
        "ask_key", "ask_secret", "ask_passphrase", "bad_paste", "checking", "still_working", "key_refused",
        "account_mismatch", "check_unavailable", "too_many_attempts", "key_accepted", "applied", "applied_standalone",
        "finish_on_web", "cancelled", "too_late_to_cancel", "expired", "help", "confirm_link", "linked", "nothing_changed",
        "chat_left", "confirm_unlink", "unlinked", "chat_ambiguous", "input_failed", "link_unknown", "not_linked",
        "no_account_to_update", "which_account", "private_chat_only", "only_during_update", "nothing_to_cancel",
        "accounts", "no_bound_accounts", "snoozed", "nothing_to_snooze", "binding_delayed", "delete_failed",
        "language", "language_set", "language_unknown", "pasted_key_in_direct_message", "keys_only_in_form",
        "type_update_to_open_form", "nothing_to_cancel_in_form", "account_not_yours", "enter_key_again",
        "key_form_not_opened", "command_received", "form_intro", "form_field_error", "expiry_warning", "key_entered_in_form", "form_field_rule",
    ]

    /// What the default locale must have: every reply and every label.
    static let templateNames = replyNames.map { "replies/\($0)" } + ChatLabel.allCases.map { "labels/\($0.rawValue)" }

    /// What the default locale must have for Slack alone: the install pages' words.
    static let slackTemplateNames = InstallLabel.allCases.map { "labels/\($0.rawValue)" }

    /// The template a reply renders with, and the values only it has.
    static func template(for reply: ChatReply) -> (name: String, values: (Values) -> [String: Any]) {
        let none: (Values) -> [String: Any] = { _ in [:] }
        switch reply {
        case .conversation(let reply): return conversation(reply)
        case .help: return ("help", none)
        case .confirmLink(let question):
            return (
                "confirm_link",
                { values in
                    var specific: [String: Any] = ["display_name": values.text(question.displayName)]
                    switch question.current {
                    case .nobody: break
                    case .linked(_, let current):
                        specific["replaces"] = true
                        specific["current_name"] = current.map(values.text) as Any
                    case .named, .ambiguous:
                        specific["replaces"] = true
                    }
                    return specific
                }
            )
        case .linked(let displayName): return ("linked", { values in ["display_name": values.text(displayName)] })
        case .nothingChanged: return ("nothing_changed", none)
        case .chatLeft(let channel): return ("chat_left", { _ in ["left_telegram": channel == .telegram, "left_slack": channel == .slack] })
        case .confirmUnlink(let displayName): return ("confirm_unlink", { values in ["display_name": displayName.map(values.text) as Any] })
        case .unlinked: return ("unlinked", none)
        case .chatAmbiguous: return ("chat_ambiguous", none)
        case .inputFailed: return ("input_failed", none)
        case .linkUnknown: return ("link_unknown", none)
        case .notLinked: return ("not_linked", none)
        case .noAccountToUpdate: return ("no_account_to_update", none)
        case .whichAccount(let options):
            return (
                "which_account",
                { values in
                    ["options": options.map { ["account_id": values.text($0.accountID), "label": $0.label.map(values.text) as Any] }]
                }
            )
        case .privateChatOnly: return ("private_chat_only", none)
        case .onlyDuringUpdate: return ("only_during_update", none)
        case .nothingToCancel: return ("nothing_to_cancel", none)
        case .accounts(let lines): return ("accounts", { values in ["accounts": lines.map(values.account)] })
        case .noBoundAccounts: return ("no_bound_accounts", none)
        case .expiryWarning(let accounts):
            return (
                "expiry_warning",
                { values in
                    let addresses = values.catalogue.platformIPs
                    return [
                        "accounts": accounts.map(values.expiring),
                        "several": accounts.count > 1,
                        "platform_ips": addresses.isEmpty ? nil : values.text(addresses.joined(separator: ", ")) as Any,
                    ]
                }
            )
        case .snoozed(let hours): return ("snoozed", { _ in ["hours": hours] })
        case .nothingToSnooze: return ("nothing_to_snooze", none)
        case .bindingDelayed: return ("binding_delayed", none)
        case .deleteFailed: return ("delete_failed", none)
        case .language: return ("language", none)
        case .languageSet: return ("language_set", none)
        case .languageUnknown: return ("language_unknown", none)
        case .pastedKeyInDirectMessage: return ("pasted_key_in_direct_message", none)
        case .keysOnlyInForm: return ("keys_only_in_form", none)
        case .typeUpdateToOpenForm: return ("type_update_to_open_form", none)
        case .nothingToCancelInForm: return ("nothing_to_cancel_in_form", none)
        case .accountNotYours: return ("account_not_yours", none)
        case .enterKeyAgain: return ("enter_key_again", none)
        case .keyFormNotOpened: return ("key_form_not_opened", none)
        case .commandReceived: return ("command_received", none)
        case .formIntro(_, let label): return ("form_intro", { values in ["label": label.map(values.text) as Any] })
        case .formFieldError(let error): return ("form_field_error", { _ in Values.paste(error) })
        case .formFieldRule(let field, let rule):
            return (
                "form_field_rule",
                { _ in
                    var values: [String: Any] = [
                        "field_api_key": field == .apiKey, "field_secret": field == .apiSecret, "field_passphrase": field == .passphrase,
                        "rule": rule != nil,
                    ]
                    if let rule { values.merge(Values.ruleValues(rule)) { _, new in new } }
                    return values
                }
            )
        case .keyEnteredInForm(let hint, let closedFlow):
            return ("key_entered_in_form", { values in ["key_hint": values.text(hint), "closed_flow": closedFlow] })
        }
    }

    static func conversation(_ reply: KeyConversation.Reply) -> (name: String, values: (Values) -> [String: Any]) {
        let none: (Values) -> [String: Any] = { _ in [:] }
        switch reply {
        case .askKey(_, let label): return ("ask_key", { values in ["label": label.map(values.text) as Any] })
        case .askSecret(let hint): return ("ask_secret", { values in ["key_hint": values.text(hint)] })
        case .askPassphrase: return ("ask_passphrase", none)
        case .badPaste(let error): return ("bad_paste", { _ in Values.paste(error) })
        case .checking: return ("checking", none)
        case .stillWorking: return ("still_working", none)
        case .keyRefused(let cause, let findings):
            return ("key_refused", { values in ["cause_\(cause.rawValue)": true, "findings": findings.map(values.finding)] })
        case .accountMismatch: return ("account_mismatch", none)
        case .checkUnavailable(let error): return ("check_unavailable", { _ in Values.check(error) })
        case .tooManyAttempts(let retryAfter): return ("too_many_attempts", { _ in ["retry_after": Values.minute(retryAfter)] })
        case .keyAccepted(let hint, let findings):
            return ("key_accepted", { values in ["key_hint": values.text(hint), "findings": findings.map(values.finding)] })
        case .applied(let standalone): return (standalone ? "applied_standalone" : "applied", none)
        case .finishOnWeb: return ("finish_on_web", none)
        case .cancelled: return ("cancelled", none)
        case .tooLateToCancel: return ("too_late_to_cancel", none)
        case .expired: return ("expired", none)
        }
    }
}

/// The values a reply template sees. The names are the templates' contract; `templates/README.md`
/// lists them.
struct Values {
    var catalogue: ExchangeCatalogue
    var channel: Channel
    var values: [String: Any] = [:]

    init(catalogue: ExchangeCatalogue, channel: Channel) {
        self.catalogue = catalogue
        self.channel = channel
    }

    func text(_ value: String) -> String {
        channel == .slack ? Mrkdwn.escape(value) : value
    }

    /// Adds values; an absent optional (`label.map(text) as Any` of nil) is left out, so a
    /// `{{#label}}` section is skipped rather than rendering "nil".
    mutating func add(_ more: [String: Any]) {
        values.merge(Self.present(more)) { _, new in new }
    }

    static func present(_ dictionary: [String: Any]) -> [String: Any] {
        dictionary.compactMapValues(present)
    }

    static func present(_ value: Any) -> Any? {
        switch value {
        case let optional as any OptionalValue: optional.wrapped.flatMap(present)
        case let dictionary as [String: Any]: present(dictionary)
        case let list as [[String: Any]]: list.map(present)
        default: value
        }
    }

    /// What every reply may use: the platform's wording and the commands as typed on the channel.
    mutating func common() {
        let channel = channel
        let command = { (name: String) in channel == .telegram ? "/\(name)" : "/rebind \(name)" }
        add([
            "platform": text(catalogue.platformName),
            "help_url": channel == .slack ? Mrkdwn.escapeURL(catalogue.helpURL) : catalogue.helpURL,
            "binding_path": text(catalogue.bindingPath.joined(separator: " → ")),
            "cmd_update": command("update"),
            "cmd_keys": command("keys"),
            "cmd_cancel": command("cancel"),
            "cmd_help": command("help"),
            "cmd_language": command("language"),
            "cmd_unlink": command("unlink"),
            "cmd_link": channel == .telegram ? "/start" : "/rebind link",
            "telegram": channel == .telegram,
            "slack": channel == .slack,
        ])
    }

    /// The exchange's names in this locale; its id when the catalogue does not list it.
    mutating func exchange(_ id: String) {
        let exchange = catalogue.exchanges[id]
        add([
            "exchange": text(id),
            "exchange_name": text(exchange?.name ?? id),
            "app_name": text(exchange?.appName ?? id),
            "regenerate_at": text(exchange?.regenerateAt ?? id),
            "validity_days": exchange?.tradingValidityDays ?? 0,
            "needs_passphrase": exchange?.needsPassphrase ?? false,
        ])
    }

    func account(_ line: ChatReply.AccountLine) -> [String: Any] {
        let exchange = catalogue.exchanges[line.exchange]
        var values: [String: Any] = [
            "exchange_name": text(exchange?.name ?? line.exchange),
            "validity_days": exchange?.tradingValidityDays ?? 0,
        ]
        if let label = line.label { values["label"] = text(MessageContext.cut(MessageContext.oneLine(label), to: 64)) }
        if let hint = line.keyHint { values["key_hint"] = text(hint) }
        if let expiresAt = line.expiresAt, let days = line.daysLeft {
            values["has_expiry"] = true
            values["expires_on"] = KeyFinding.day(expiresAt)
            values["days_left"] = days
            values["expired"] = days <= 0
            values["one_day"] = days == 1
            values["from_platform"] = line.expirySource == .platform
            values["from_exchange"] = line.expirySource == .exchange
            values["from_catalogue"] = line.expirySource == .catalogue
        }
        values["never_lapses"] = line.expirySource == .ipRestricted
        return values
    }

    /// An account in an expiry warning.
    func expiring(_ account: ChatReply.ExpiringAccount) -> [String: Any] {
        let exchange = catalogue.exchanges[account.exchange]
        var values: [String: Any] = [
            "exchange_name": text(exchange?.name ?? account.exchange),
            "regenerate_at": text(exchange?.regenerateAt ?? account.exchange),
            "validity_days": exchange?.tradingValidityDays ?? 0,
            "expires_on": KeyFinding.day(account.expiresAt),
            "expires_at": text(Self.minute(account.expiresAt)),
            "days_left": account.daysLeft,
            "one_day": account.daysLeft == 1,
            "from_platform": account.source == .platform,
            "from_exchange": account.source == .exchange,
            "from_catalogue": account.source == .catalogue,
        ]
        if let label = account.label { values["label"] = text(MessageContext.cut(MessageContext.oneLine(label), to: 64)) }
        if let hint = account.keyHint { values["key_hint"] = text(hint) }
        return values
    }

    func finding(_ finding: KeyFinding) -> [String: Any] {
        switch finding {
        case .spotTradingEnded(_, let day): return ["spot_trading_ended": true, "day": KeyFinding.day(day)]
        case .spotTradingEnds(_, let day, let days):
            return ["spot_trading_ends": true, "day": KeyFinding.day(day), "days": days, "within_a_day": days < 1]
        case .cannotTradeFutures: return ["cannot_trade_futures": true]
        case .cannotTrade: return ["cannot_trade": true]
        case .canWithdraw: return ["can_withdraw": true]
        case .cannotRead: return ["cannot_read": true]
        case .idleDeletionWithoutIP(_, let days): return ["idle_deletion": true, "days": days]
        case .refused(let cause, _, let code, let message):
            var values: [String: Any] = ["refused_\(cause.rawValue)": true, "code": text(MessageContext.cut(MessageContext.oneLine(code), to: 32))]
            // The exchange's message is shown for refusals that are not about the key itself.
            if let message, cause == .notKeyRelated || cause == .unknown {
                values["message"] = text(MessageContext.cut(MessageContext.oneLine(message), to: 300))
            }
            return values
        case .binanceKeyUnknownOrIPBlocked: return ["binance_unknown_or_ip": true]
        case .binanceRefusedDespitePermissions: return ["binance_despite_permissions": true]
        case .checkFailed(let error): return Values.check(error).merging(["check_failed": true]) { old, _ in old }
        case .text(let sentence): return ["text": text(MessageContext.cut(MessageContext.oneLine(sentence), to: 500))]
        }
    }

    static func check(_ error: KeyCheckError) -> [String: Any] {
        switch error {
        case .busy: ["busy": true]
        case .unreachable: ["unreachable": true]
        case .unexpectedAnswer: ["unexpected_answer": true]
        case .clockOutOfSync: ["clock_out_of_sync": true]
        case .unsendableCredentials: ["unsendable": true]
        case .cancelled: ["cancelled": true]
        }
    }

    static func paste(_ error: CredentialFormat.Error) -> [String: Any] {
        var values: [String: Any] = [
            "field_api_key": error.field == .apiKey,
            "field_secret": error.field == .apiSecret,
            "field_passphrase": error.field == .passphrase,
        ]
        switch error {
        case .empty: values["empty"] = true
        case .pemKey(_, let isPrivate): values[isPrivate ? "pem_private" : "pem_public"] = true
        case .severalValues: values["several_values"] = true
        case .looksLikeSecret: values["looks_like_secret"] = true
        case .looksLikeKey: values["looks_like_key"] = true
        case .repeatsKey: values["repeats_key"] = true
        case .repeatsSecret: values["repeats_secret"] = true
        case .wrongLength(_, let rule, let actual):
            values["wrong_length"] = true
            values["actual"] = actual
            values.merge(ruleValues(rule)) { _, new in new }
        case .invalidCharacters(_, let rule):
            values["invalid_characters"] = true
            values.merge(ruleValues(rule)) { _, new in new }
        case .lowercaseSecret: values["lowercase_secret"] = true
        case .passphraseLength(let actual):
            values["passphrase_length"] = true
            values["actual"] = actual
        case .tooLong(_, let actual):
            values["too_long"] = true
            values["actual"] = actual
        }
        return values
    }

    static func ruleValues(_ rule: CredentialFormat.RuleKind) -> [String: Any] {
        ["rule_binance": rule == .binance, "rule_okx_secret": rule == .okxSecret, "rule_printable": rule == .printable]
    }

    /// `2026-12-05 14:30 UTC`.
    static func minute(_ date: Date) -> String {
        let text = Timestamp.format(date)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }
}

/// An optional seen through `Any`.
protocol OptionalValue {
    var wrapped: Any? { get }
}

extension Optional: OptionalValue {
    var wrapped: Any? { self.map { $0 as Any } }
}
