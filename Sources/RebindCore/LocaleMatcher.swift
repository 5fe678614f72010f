import Foundation

/// Matches a user's language tag (BCP 47, as Telegram, Slack and platforms send it) to one of
/// the locales Rebind has templates for, by DESIGN §4's rules:
///
/// - a locale Rebind has by that exact name wins (`pt-BR` when `pt-BR` exists);
/// - Chinese goes by script: `zh`, `zh-CN`, `zh-SG`, `zh-Hans…` are Simplified (`zh-Hans`);
///   `zh-TW`, `zh-HK`, `zh-MO`, `zh-Hant…` are Traditional (`zh-Hant` if present), and never
///   fall back to Simplified, which a reader of Traditional may not want: they get the default;
/// - anything else goes to its language (`fr-CA` → `fr`) if present;
/// - otherwise the default.
///
/// Tags compare without regard to case, and `_` counts as `-` (`zh_CN`, `pt_br`).
public struct LocaleMatcher: Sendable, Equatable {
    /// The locales templates exist for, as their folders are named.
    public let available: [String]
    public let defaultLocale: String

    public init(available: [String], defaultLocale: String) {
        self.available = available
        self.defaultLocale = defaultLocale
    }

    /// The available locale for `tag`; the default for nil, an empty tag or no match.
    public func match(_ tag: String?) -> String {
        guard let tag, let subtags = Self.subtags(tag) else { return defaultLocale }
        if let exact = find(subtags.joined(separator: "-")) { return exact }
        let language = subtags[0]
        if language == "zh" {
            let simplified = ["hans", "cn", "sg", "my"]
            let traditional = ["hant", "tw", "hk", "mo"]
            let rest = subtags.dropFirst()
            if rest.contains(where: traditional.contains) { return find("zh-Hant") ?? defaultLocale }
            if rest.isEmpty || rest.contains(where: simplified.contains) { return find("zh-Hans") ?? defaultLocale }
            return find("zh-Hans") ?? defaultLocale
        }
        return find(language) ?? defaultLocale
    }

    /// Whether `tag` names a locale Rebind speaks (by the rules above), and which: what
    /// `/language TAG` accepts.
    public func supported(_ tag: String) -> String? {
        guard let subtags = Self.subtags(tag) else { return nil }
        let matched = match(tag)
        // The default answers every tag; it counts only when it was asked for.
        if matched == defaultLocale, let own = Self.subtags(defaultLocale), own[0] != subtags[0] { return nil }
        return matched
    }

    /// Whether `tag` has the shape of a language tag (`en`, `zh-Hans`, `pt_BR`).
    public static func isLanguageTag(_ tag: String) -> Bool {
        subtags(tag) != nil
    }

    func find(_ name: String) -> String? {
        available.first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Lower-cased subtags; nil unless it looks like a language tag (letters and digits in
    /// groups of up to 8, the first of 2–3 letters).
    static func subtags(_ tag: String) -> [String]? {
        let parts = tag.trimmingCharacters(in: .whitespaces).lowercased()
            .split(omittingEmptySubsequences: false, whereSeparator: { $0 == "-" || $0 == "_" })
            .map(String.init)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }),
            parts.allSatisfy({ (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        else { return nil }
        return parts
    }
}

/// What is known of a user's (or a chat's) language, from the places DESIGN §4 names.
public struct LanguagePreferences: Sendable, Equatable {
    /// Their `/language` choice.
    public var chosen: String?
    /// The latest event's `user.locale`.
    public var event: String?
    /// The `language_code` of their latest Telegram message.
    public var telegram: String?
    /// Their Slack locale (`users.info`).
    public var slack: String?

    public init(chosen: String? = nil, event: String? = nil, telegram: String? = nil, slack: String? = nil) {
        self.chosen = chosen
        self.event = event
        self.telegram = telegram
        self.slack = slack
    }

    /// The first of them that is known, in that order, matched to the locales Rebind has;
    /// the default when none is.
    public func locale(_ matcher: LocaleMatcher) -> String {
        let first = [chosen, event, telegram, slack].lazy.compactMap { $0 }.first { !$0.isEmpty }
        return matcher.match(first)
    }
}

/// A chat's stored language facts: its `/language` choice and what its app reports, with when.
public struct ChatLanguage: Sendable, Equatable {
    public var chat: ChatAddress
    public var chosen: String?
    public var chosenAt: Date?
    public var reported: String?
    public var reportedAt: Date?

    public init(chat: ChatAddress, chosen: String?, chosenAt: Date?, reported: String?, reportedAt: Date?) {
        self.chat = chat
        self.chosen = chosen
        self.chosenAt = chosenAt
        self.reported = reported
        self.reportedAt = reportedAt
    }
}

extension LanguagePreferences {
    /// A user's preferences from their chats' rows and their events' locale: the latest
    /// `/language` choice in any of them, the latest report of each channel.
    public init(event: String?, chats: [ChatLanguage]) {
        func latest(_ rows: [ChatLanguage], _ value: KeyPath<ChatLanguage, String?>, _ at: KeyPath<ChatLanguage, Date?>) -> String? {
            rows.filter { $0[keyPath: value] != nil }
                .max { ($0[keyPath: at] ?? .distantPast) < ($1[keyPath: at] ?? .distantPast) }?[keyPath: value]
        }
        self.init(
            chosen: latest(chats, \.chosen, \.chosenAt),
            event: event,
            telegram: latest(chats.filter { $0.chat.channel == .telegram }, \.reported, \.reportedAt),
            slack: latest(chats.filter { $0.chat.channel == .slack }, \.reported, \.reportedAt)
        )
    }
}
