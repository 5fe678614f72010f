import Foundation
import Mustache
import RebindCore

/// Renders what the bot says (`ChatReply`) and its labels (`ChatLabel`) from the templates
/// under `<locale>/<channel>/replies/` and `labels/`, in the locale asked for, with the
/// catalogue's wording for that locale. A reply missing in a locale falls back to English.
///
/// Values are escaped for the channel as in the guidance: Mustache's HTML escaping on
/// Telegram, `Mrkdwn` here for Slack. Labels are plain text (buttons, form fields).
public struct ChatReplyRenderer: Sendable {
    let templates: TemplateDirectory
    let catalogue: ExchangeCatalogue

    init(templates: TemplateDirectory, catalogue: ExchangeCatalogue) {
        self.templates = templates
        self.catalogue = catalogue
    }

    /// An exchange's name in a locale (`币安` for Binance in Chinese); its id when unknown.
    public func exchangeName(_ id: String, locale: String) -> String {
        catalogue.localized(to: locale).exchanges[id]?.name ?? id
    }

    /// The locales with templates, the default first: what `/language` offers.
    public var locales: [String] { templates.locales }

    /// Matches users' language tags to these locales.
    public func matcher(defaultLocale: String) -> LocaleMatcher {
        LocaleMatcher(available: locales, defaultLocale: LocaleMatcher(available: locales, defaultLocale: "en").match(defaultLocale))
    }

    /// The reply as a message for the channel. `exchange` names the exchange the reply is about
    /// when the reply itself does not (a refused key's findings).
    public func render(
        _ reply: ChatReply,
        channel: Channel,
        locale: String,
        exchange: String? = nil
    ) throws(GuidanceRenderer.Error) -> RenderedMessage {
        let (name, specific) = Self.template(for: reply)
        guard let (usedLocale, library) = templates.library(having: "replies/\(name)", locale: locale, channel: channel) else {
            throw .missingFile(
                path: "\(TemplateDirectory.defaultLocale)/\(channel.rawValue)/replies/\(name).mustache",
                directory: templates.directory
            )
        }
        var values = Values(catalogue: catalogue.localized(to: usedLocale), channel: channel)
        values.common()
        if let exchange = reply.exchange ?? exchange { values.exchange(exchange) }
        values.add(specific(values))
        if case .language = reply { values.add(languageValues(reply, channel: channel)) }
        if case .languageUnknown = reply { values.add(languageValues(reply, channel: channel)) }
        if case .languageSet(let chosen) = reply {
            values.add(["language_name": values.text(label(.languageName, channel: channel, locale: chosen))])
        }
        let limit = GuidanceRenderer.characterLimit(for: channel)
        func attempt(_ values: [String: Any]) -> String {
            GuidanceRenderer.tidy(library.mustache.render(values, withTemplate: "replies/\(name)") ?? "")
        }
        var text = attempt(values.values)
        // A list too long for the channel (many findings, accounts) is cut, most important
        // first, and what was left out is counted ("…and 3 more").
        if text.utf16.count > limit, let key = Self.lists.first(where: { values.values[$0] is [Any] }),
            let list = values.values[key] as? [Any]
        {
            var shown = list.count
            while shown > 0, text.utf16.count > limit {
                shown /= 2
                var cut = values.values
                cut[key] = Array(list.prefix(shown))
                cut["more"] = list.count - shown
                text = attempt(cut)
            }
        }
        guard text.utf16.count <= limit else {
            throw .messageTooLong(template: "\(usedLocale)/\(channel.rawValue)/replies/\(name).mustache", length: text.utf16.count, limit: limit)
        }
        return RenderedMessage(text: text, format: GuidanceRenderer.format(for: channel), locale: usedLocale)
    }

    /// The values that are lists a reply may cut to fit.
    static let lists = ["findings", "accounts", "options"]

    /// A label in plain text: no markup, no escaping. The only thing a user wrote that goes
    /// into one is an account's label (a button naming its account), cut to one short line;
    /// Telegram's title is plain text, so the HTML escaping its templates apply is undone.
    public func label(_ label: ChatLabel, channel: Channel, locale: String, account: ChatReply.ButtonAccount? = nil) -> String {
        let name = "labels/\(label.rawValue)"
        guard let (usedLocale, library) = templates.library(having: name, locale: locale, channel: channel) else { return label.rawValue }
        var values: [String: Any] = [:]
        if let account {
            values["exchange_name"] = catalogue.localized(to: usedLocale).exchanges[account.exchange]?.name ?? account.exchange
            if let text = account.label { values["label"] = MessageContext.cut(MessageContext.oneLine(text), to: 24) }
            if let hint = account.keyHint { values["key_hint"] = hint }
        }
        let text = GuidanceRenderer.tidy(library.mustache.render(values, withTemplate: name) ?? label.rawValue)
        // Telegram's templates escape values for HTML; a button's title is plain text.
        return channel == .telegram ? TelegramHTML.unescape(text) : text
    }

    /// A word of the Slack install pages in plain text, with its values (`workspace`, `error`)
    /// as given: the page escapes the whole for HTML.
    public func label(_ label: InstallLabel, locale: String, values: [String: String] = [:]) -> String {
        let name = "labels/\(label.rawValue)"
        guard let (_, library) = templates.library(having: name, locale: locale, channel: .slack) else { return label.rawValue }
        return GuidanceRenderer.tidy(library.mustache.render(values, withTemplate: name) ?? label.rawValue)
    }

    func languageValues(_ reply: ChatReply, channel: Channel) -> [String: Any] {
        let available: [String]
        var values: [String: Any] = [:]
        switch reply {
        case .language(let current, let list):
            available = list
            values["current_name"] = escape(label(.languageName, channel: channel, locale: current), channel)
        case .languageUnknown(let requested, let list):
            available = list
            values["requested"] = escape(Self.cut(requested), channel)
        default:
            return [:]
        }
        values["available"] = available.enumerated().map { index, tag -> [String: Any] in
            [
                "tag": escape(tag, channel),
                "name": escape(label(.languageName, channel: channel, locale: tag), channel),
                "last": index == available.count - 1,
            ]
        }
        return values
    }

    func escape(_ text: String, _ channel: Channel) -> String {
        channel == .slack ? Mrkdwn.escape(text) : text
    }

    /// What a user typed, shown back: one line, not too long.
    static func cut(_ text: String) -> String {
        MessageContext.cut(MessageContext.oneLine(text), to: 32)
    }
}
