import Foundation
import RebindCore
import Testing

@testable import RebindRendering

/// Every sentence the bot can say, in every language and channel, from the shipped templates.
@Suite("Chat replies from the shipped templates")
struct ChatReplyTemplateTests {
    /// Values a user or an exchange controls, at their worst: markup, entities, quotes, very long.
    static let hostile = "<b>x</b> & \"q\" 'a' *b* _i_ `c` <https://evil.example|click> " + String(repeating: "長", count: 300)
    static let day = Date(timeIntervalSince1970: 1_795_685_400)

    static var pasteErrors: [CredentialFormat.Error] {
        var errors: [CredentialFormat.Error] = [.looksLikeSecret, .repeatsSecret, .lowercaseSecret, .passphraseLength(actual: 5)]
        for field in CredentialFormat.Field.allCases {
            errors += [
                .empty(field), .pemKey(field, isPrivate: true), .pemKey(field, isPrivate: false), .severalValues(field), .looksLikeKey(field),
                .repeatsKey(field), .tooLong(field, actual: 600),
            ]
            for rule in [CredentialFormat.RuleKind.binance, .okxSecret, .printable] {
                errors += [.wrongLength(field, rule: rule, actual: 63), .invalidCharacters(field, rule: rule)]
            }
        }
        return errors
    }

    static var checkErrors: [KeyCheckError] {
        [
            .busy(exchange: "Binance", status: 503), .unreachable(exchange: "OKX", reason: hostile),
            .unexpectedAnswer(exchange: "OKX", status: 200, reason: hostile), .clockOutOfSync(exchange: "Binance"),
            .unsendableCredentials(exchange: "OKX"), .cancelled,
        ]
    }

    static var findings: [KeyFinding] {
        [
            .spotTradingEnded(exchange: "Binance", on: day), .spotTradingEnds(exchange: "Binance", on: day, days: 12),
            .spotTradingEnds(exchange: "Binance", on: day, days: 0), .cannotTradeFutures(exchange: "Binance"), .cannotTrade(exchange: "OKX"),
            .canWithdraw(exchange: "OKX"), .cannotRead(exchange: "OKX"), .idleDeletionWithoutIP(exchange: "OKX", days: 14),
            .binanceKeyUnknownOrIPBlocked, .binanceRefusedDespitePermissions, .text(hostile),
        ] + Cause.allCases.map { .refused(cause: $0, exchange: "OKX", code: "50113", message: hostile) } + checkErrors.map(KeyFinding.checkFailed)
    }

    /// One of every reply, with hostile values wherever a value is shown.
    static var replies: [ChatReply] {
        var conversation: [KeyConversation.Reply] = [
            .askKey(exchange: "binance", label: hostile), .askKey(exchange: "okx", label: nil), .askSecret(keyHint: "h8A<"), .askPassphrase,
            .checking(exchange: "okx"), .stillWorking, .tooManyAttempts(retryAfter: day), .keyAccepted(keyHint: "Eh8A", warnings: findings),
            .keyAccepted(keyHint: "Eh8A", warnings: []), .applied(standalone: true), .applied(standalone: false), .finishOnWeb, .cancelled,
            .tooLateToCancel, .expired, .accountMismatch(exchange: "binance"), .accountMismatch(exchange: "okx"),
        ]
        conversation += pasteErrors.map(KeyConversation.Reply.badPaste)
        conversation += checkErrors.map(KeyConversation.Reply.checkUnavailable)
        conversation += Cause.allCases.map { .keyRefused(cause: $0, warnings: findings) }
        let lines: [ChatReply.AccountLine] = [
            .init(exchange: "binance", label: hostile, keyHint: "h8A", expiresAt: day, daysLeft: 40, expirySource: .catalogue),
            .init(exchange: "okx", label: nil, keyHint: nil, expiresAt: day, daysLeft: 1, expirySource: .exchange),
            .init(exchange: "binance", label: "Old", keyHint: "zz9", expiresAt: day, daysLeft: 0, expirySource: .catalogue),
            .init(exchange: "unknown-exchange", label: nil, keyHint: "x", expiresAt: nil, daysLeft: nil, expirySource: nil),
            .init(exchange: "okx", label: "Web", keyHint: "k3y", expiresAt: day, daysLeft: 12, expirySource: .platform),
            .init(exchange: "binance", label: "Fixed", keyHint: "ip1", expiresAt: nil, daysLeft: nil, expirySource: .ipRestricted),
        ]
        let expiring: [ChatReply.ExpiringAccount] = [
            .init(reference: "3f9a", exchange: "binance", label: hostile, keyHint: "h8A", expiresAt: day, daysLeft: 5, source: .catalogue),
            .init(reference: "77aa", exchange: "okx", label: nil, keyHint: nil, expiresAt: day, daysLeft: 1, source: .platform),
            .init(reference: "0b0b", exchange: "unknown-exchange", label: "X", keyHint: "x", expiresAt: day, daysLeft: 3, source: .exchange),
        ]
        var all: [ChatReply] = conversation.map(ChatReply.conversation)
        all += [
            .help, .linked(displayName: hostile), .linkUnknown, .notLinked, .noAccountToUpdate,
            .confirmLink(.init(tokenHash: "aGFzaA", displayName: hostile, current: .nobody)),
            .confirmLink(.init(tokenHash: "aGFzaA", displayName: hostile, current: .linked(userID: "u_2", displayName: hostile))),
            .confirmLink(.init(tokenHash: "aGFzaA", displayName: "j***@example.com", current: .linked(userID: "u_2", displayName: nil))),
            .confirmLink(.init(tokenHash: "aGFzaA", displayName: "j***@example.com", current: .named(userID: "u_2"))),
            .nothingChanged, .chatLeft(channel: .telegram), .chatLeft(channel: .slack), .confirmUnlink(displayName: hostile),
            .confirmUnlink(displayName: nil), .unlinked, .chatAmbiguous, .inputFailed,
            .whichAccount([.init(accountID: hostile, label: hostile), .init(accountID: "acc_2", label: nil)]), .privateChatOnly,
            .onlyDuringUpdate, .nothingToCancel, .accounts(lines), .noBoundAccounts, .snoozed(hours: 1), .nothingToSnooze, .bindingDelayed,
            .deleteFailed, .language(current: "en", available: ["en", "zh-Hans"]), .languageSet("zh-Hans"), .languageSet("en"),
            .languageUnknown(hostile, available: ["en", "zh-Hans"]), .pastedKeyInDirectMessage, .keysOnlyInForm, .typeUpdateToOpenForm,
            .nothingToCancelInForm, .accountNotYours, .enterKeyAgain, .keyFormNotOpened, .commandReceived,
            .formIntro(exchange: "okx", label: hostile), .formIntro(exchange: "binance", label: nil),
            .expiryWarning(Array(expiring.prefix(1))), .expiryWarning(expiring),
        ]
        all += pasteErrors.map(ChatReply.formFieldError)
        all += [.keyEnteredInForm(keyHint: hostile, closedFlow: true), .keyEnteredInForm(keyHint: "h8A", closedFlow: false)]
        all += ["binance", "okx", "bybit"].flatMap { CredentialFormat(exchange: $0).hints.map { ChatReply.formFieldRule($0.field, $0.rule) } }
        return all
    }

    @Test("Every reply renders in every language and channel: valid markup, within the limit, hostile values escaped")
    func everyReply() throws {
        let replies = try Fixtures.renderer().replies
        #expect(replies.locales == ["en", "zh-Hans"])
        var used: Set<String> = []
        for locale in replies.locales {
            for channel in Channel.allCases {
                for reply in Self.replies {
                    let message = try replies.render(reply, channel: channel, locale: locale, exchange: "okx")
                    used.insert(ChatReplyRenderer.template(for: reply).name)
                    let context = "\(locale)/\(channel) \(reply)"
                    #expect(message.locale == locale, "\(context)")
                    #expect(!message.text.isEmpty, "\(context)")
                    #expect(!message.text.contains("{{") && !message.text.contains("}}"), "\(context)")
                    #expect(message.text.utf16.count <= GuidanceRenderer.characterLimit(for: channel), "\(context)")
                    #expect(MarkupCheck.problems(message.text, for: message.format.rawValue) == [], "\(context): \(message.text)")
                    // What a user or an exchange wrote never becomes markup or a link.
                    #expect(!message.text.contains("<b>x</b>") && !message.text.contains("<https://evil"), "\(context)")
                }
            }
        }
        #expect(used == Set(ChatReplyRenderer.replyNames), "replies never rendered: \(Set(ChatReplyRenderer.replyNames).subtracting(used))")
    }

    @Test("Every label exists in every language and channel, and Slack's form title fits its 24 characters")
    func labels() throws {
        let replies = try Fixtures.renderer().replies
        for locale in replies.locales {
            for channel in Channel.allCases {
                for label in ChatLabel.allCases {
                    let text = replies.label(label, channel: channel, locale: locale)
                    #expect(!text.isEmpty && text != label.rawValue && !text.contains("\n"), "\(locale)/\(channel) \(label)")
                }
            }
            #expect(replies.label(.formTitle, channel: .slack, locale: locale).count <= 24)
        }
    }

    @Test("The Slack install pages' words exist in every language, one line each, with the workspace and Slack's error in place")
    func installLabels() throws {
        let replies = try Fixtures.renderer().replies
        for locale in replies.locales {
            for label in InstallLabel.allCases {
                let text = replies.label(label, locale: locale, values: ["workspace": "Grid Desk", "error": "invalid_code"])
                #expect(!text.isEmpty && text != label.rawValue && !text.contains("\n") && !text.contains("{{"), "\(locale) \(label)")
            }
            #expect(replies.label(.installed, locale: locale, values: ["workspace": "Grid <Desk>"]).contains("Grid <Desk>"), "\(locale)")
            #expect(replies.label(.slackError, locale: locale, values: ["error": "invalid_code"]).contains("invalid_code"), "\(locale)")
        }
        #expect(replies.label(.installed, locale: "zh-Hans", values: ["workspace": "Grid"]) == "Rebind 已安装到工作区「Grid」。")
    }

    @Test("Every language has every template of English, so none falls back without anyone noticing")
    func complete() throws {
        let files = FileManager.default
        func names(_ locale: String, _ channel: Channel) throws -> Set<String> {
            var names: Set<String> = []
            for folder in ["", "replies/", "labels/"] {
                let path = Fixtures.templatesDirectory.appendingPathComponent("\(locale)/\(channel.rawValue)/\(folder)").path
                for name in try files.contentsOfDirectory(atPath: path) where name.hasSuffix(".mustache") {
                    names.insert(folder + name)
                }
            }
            return names
        }
        for channel in Channel.allCases {
            let english = try names("en", channel)
            for locale in try Fixtures.renderer().replies.locales where locale != "en" {
                #expect(try names(locale, channel) == english, "\(locale)/\(channel)")
            }
        }
    }

    @Test("Chinese reads as Chinese, with the exchanges' Chinese names and the platform's menu")
    func chinese() throws {
        let replies = try Fixtures.renderer().replies
        let ask = try replies.render(.conversation(.askKey(exchange: "binance", label: nil)), channel: .telegram, locale: "zh-Hans").text
        #expect(ask.contains("币安") && ask.contains("API 管理") && !ask.contains("Let's"))
        let okx = try replies.render(.conversation(.checking(exchange: "okx")), channel: .slack, locale: "zh-Hans").text
        #expect(okx.contains("欧易"))
        let web = try replies.render(.conversation(.finishOnWeb), channel: .telegram, locale: "zh-Hans").text
        #expect(web.contains("首页 → API 绑定 → 编辑"))
        #expect(replies.label(.updateKeyButton, channel: .telegram, locale: "zh-Hans").contains("更新 API Key"))
        // A locale Rebind lacks falls back to English.
        #expect(try replies.render(.help, channel: .telegram, locale: "fr").locale == "en")
    }

    @Test("A key of another exchange account is refused naming the exchange, in every language and channel")
    func accountMismatch() throws {
        let replies = try Fixtures.renderer().replies
        let binance = ChatReply.conversation(.accountMismatch(exchange: "binance"))
        let telegram = try replies.render(binance, channel: .telegram, locale: "en").text
        #expect(telegram.hasPrefix("❌ This key belongs to <b>a different Binance account</b> from the one bound on uTrading."))
        let slack = try replies.render(binance, channel: .slack, locale: "en").text
        #expect(slack.hasPrefix("❌ This key belongs to *a different Binance account* from the one bound on uTrading."))
        let chinese = try replies.render(.conversation(.accountMismatch(exchange: "okx")), channel: .telegram, locale: "zh-Hans").text
        #expect(chinese.contains("另一个欧易（OKX）账户") && chinese.contains("uTrading"))
        #expect(try replies.render(binance, channel: .slack, locale: "zh-Hans").text.contains("另一个币安账户"))
    }

    @Test("An expiry warning names each account's days left, date and source, and has an Update button per account")
    func expiryWarning() throws {
        let expires = Date(timeIntervalSince1970: 1_796_112_000)  // 2026-12-01 08:00 UTC
        let main = ChatReply.ExpiringAccount(
            reference: "3f9a",
            exchange: "binance",
            label: "Main",
            keyHint: "h8A",
            expiresAt: expires,
            daysLeft: 5,
            source: .catalogue
        )
        let side = ChatReply.ExpiringAccount(
            reference: "77aa",
            exchange: "okx",
            label: nil,
            keyHint: "k3y",
            expiresAt: expires,
            daysLeft: 1,
            source: .platform
        )
        var renderer = try Fixtures.renderer()
        let replies = renderer.replies
        let one = try replies.render(.expiryWarning([main]), channel: .telegram, locale: "en").text
        #expect(one.hasPrefix("⏳ <b>Your API key lapses soon</b>"))
        #expect(one.contains("<b>Main (Binance)</b>, key …h8A: 5 days left, until 2026-12-01 08:00 UTC (60 days from binding)"))
        #expect(one.contains("New key: Binance app → Profile → Account → API Management"))
        #expect(!one.contains("IP addresses"), "no platform_ips in the shipped catalogue: no advice")
        #expect(ChatReply.expiryWarning([main]).buttons.map { $0.map(\.action) } == [[.updateKey(account: "3f9a")]])

        let two = ChatReply.expiryWarning([main, side])
        let both = try replies.render(two, channel: .slack, locale: "en").text
        #expect(both.hasPrefix("⏳ *Some of your API keys lapse soon*"))
        #expect(both.contains("*OKX*, key …k3y: 1 day left, until 2026-12-01 08:00 UTC (as uTrading says)"))
        let buttons = two.buttons.flatMap { $0 }
        #expect(buttons.map(\.action) == [.updateKey(account: "3f9a"), .updateKey(account: "77aa")])
        #expect(
            buttons.map { replies.label($0.label, channel: .telegram, locale: "en", account: $0.account) } == [
                "🔑 Update Main (Binance)", "🔑 Update OKX …k3y",
            ]
        )
        #expect(replies.label(buttons[0].label, channel: .telegram, locale: "zh-Hans", account: buttons[0].account) == "🔑 更新 币安 · Main")
        // A button's title is plain text: what the user named the account shows as written.
        let odd = ChatReply.ButtonAccount(exchange: "binance", label: "A&B <x> \"q\" 'a'", keyHint: nil)
        for channel in Channel.allCases {
            #expect(replies.label(.updateAccountButton, channel: channel, locale: "en", account: odd) == "🔑 Update A&B <x> \"q\" 'a' (Binance)")
        }
        let chinese = try replies.render(two, channel: .telegram, locale: "zh-Hans").text
        #expect(chinese.contains("您有多个 API Key 即将到期") && chinese.contains("剩余 5 天，2026-12-01 08:00 UTC 到期（按绑定之日起 60 天计算）"))

        // With the platform's addresses in the catalogue, the warning says how to stop the lapsing.
        renderer.catalogue.platformIPs = ["203.0.113.7", "2001:db8::1"]
        let advice = try renderer.replies.render(.expiryWarning([main]), channel: .telegram, locale: "en").text
        #expect(advice.contains("Restrict the new key to uTrading's IP addresses and it will not lapse: <code>203.0.113.7, 2001:db8::1</code>"))
        #expect(try renderer.replies.render(.expiryWarning([main]), channel: .slack, locale: "zh-Hans").text.contains("`203.0.113.7, 2001:db8::1`"))
    }

    @Test("/keys says where each date comes from, and that an IP-restricted key does not lapse")
    func keysSources() throws {
        let replies = try Fixtures.renderer().replies
        let day = Date(timeIntervalSince1970: 1_796_112_000)
        let text = try replies.render(
            .accounts([
                .init(exchange: "okx", label: "Web", keyHint: "k3y", expiresAt: day, daysLeft: 12, expirySource: .platform),
                .init(exchange: "binance", label: "Fixed", keyHint: "ip1", expiresAt: nil, daysLeft: nil, expirySource: .ipRestricted),
                .init(exchange: "binance", label: "Old", keyHint: "zz9", expiresAt: day, daysLeft: 0, expirySource: .catalogue),
            ]),
            channel: .telegram,
            locale: "en"
        ).text
        #expect(text.contains("• Web (OKX), key …k3y: 12 days left (until 2026-12-01 UTC, as uTrading says)"))
        #expect(text.contains("• Fixed (Binance), key …ip1: restricted to IP addresses, does not lapse"))
        #expect(text.contains("• Old (Binance), key …zz9: expired on 2026-12-01 (UTC)"))
    }
}

@Suite("The key form's words")
struct KeyFormWordsTests {
    @Test("Each field's rule is said as the chat says it, and the page text of a Telegram reply has no markup")
    func rules() throws {
        let replies = try Fixtures.renderer().replies
        let say = { (reply: ChatReply, locale: String) in
            TelegramHTML.plainText(try replies.render(reply, channel: .telegram, locale: locale).text)
        }
        let okx = CredentialFormat(exchange: "okx").hints
        #expect(okx.map(\.name) == ["api_key", "api_secret", "passphrase"])
        #expect(try say(.formFieldRule(okx[1].field, okx[1].rule), "en") == "An OKX secret key is 32 characters of 0–9 and A–F.")
        #expect(try say(.formFieldRule(.passphrase, nil), "zh-Hans").hasPrefix("欧易（OKX）的 Passphrase 为 8–32 位"))
        let binance = CredentialFormat(exchange: "binance").hints
        #expect(binance.map(\.pattern) == ["^[A-Za-z0-9]{64}$", "^[A-Za-z0-9]{64}$"])
        // Markup goes, entities come back, a value's "<" stays text.
        let entered = try say(.keyEnteredInForm(keyHint: "<b>", closedFlow: true), "en")
        #expect(entered.contains("The key ending in …<b> was entered in the secure form"))
        #expect(!entered.contains("<code>"))
        #expect(entered.contains("The key update started in this chat is closed"))
    }
}
