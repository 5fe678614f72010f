import Foundation
import Mustache
import RebindCore

/// Turns an incident into the chat message that tells the user what happened and what to do,
/// from the Mustache templates and the exchange catalogue of a templates directory.
///
/// Layout of the directory (see `templates/README.md`):
/// ```
/// catalogue.json                       exchange facts and the platform's wording
/// <locale>/<channel>/<cause>.mustache  one per cause; `<cause>.<exchange>.mustache` overrides it
/// <locale>/<channel>/resolved.mustache the message once the incident is resolved
/// <locale>/<channel>/_<part>.mustache  partials, included with {{> _part}}
/// ```
/// Telegram templates are HTML, and `{{name}}` escapes values with Mustache's HTML escaping.
/// Slack templates are mrkdwn: values arrive already escaped for Slack (`Mrkdwn`), and the
/// templates are rendered without Mustache's escaping, so quotes stay readable.
public struct GuidanceRenderer: Sendable {
    public var catalogue: ExchangeCatalogue
    let templates: TemplateDirectory
    /// The pages served from the templates' `web/` folder (the Mini App key form).
    public let web: WebPages
    /// The operator's console, from the templates' `console/` folder.
    public let console: ConsolePages
    /// The page of `rebind demo`, from the templates' `demo/` folder.
    public let demo: DemoPages

    public static let catalogueFileName = "catalogue.json"

    /// Reads the catalogue and every template of a templates directory, and checks that each
    /// cause has a template for each channel. Throws `Error` naming the file that is missing or
    /// broken.
    public init(templatesDirectory: URL) throws(Error) {
        try self.init(templates: try TemplateFiles.read(directory: templatesDirectory))
    }

    /// The same from a set of template files: the built-in ones, a folder, or a folder laid over
    /// the built-in ones.
    public init(templates source: TemplateFiles) throws(Error) {
        guard let data = source.data(at: Self.catalogueFileName) else {
            throw .missingFile(path: Self.catalogueFileName, directory: source.origin)
        }
        do {
            catalogue = try ExchangeCatalogue.decode(data)
        } catch {
            throw .invalidCatalogue(path: Self.catalogueFileName, reason: error.description)
        }
        templates = try TemplateDirectory.load(from: source, exchanges: catalogue.exchangeIDs.sorted())
        web = try WebPages(source: source)
        console = try ConsolePages(source: source)
        demo = try DemoPages(source: source)
    }

    /// The same renderer with the operator's wording (`REBIND_HELP_URL`, `REBIND_PLATFORM_NAME`).
    /// A nil or blank value keeps the catalogue's.
    public func with(helpURL: String?, platformName: String?) -> GuidanceRenderer {
        var copy = self
        // The operator's values hold in every language: a locale's own help page or name
        // would otherwise hide them.
        if let helpURL = helpURL?.trimmingCharacters(in: .whitespacesAndNewlines), !helpURL.isEmpty {
            copy.catalogue.helpURL = helpURL
            for locale in copy.catalogue.locales.keys { copy.catalogue.locales[locale]?.helpURL = nil }
        }
        if let platformName = platformName?.trimmingCharacters(in: .whitespacesAndNewlines), !platformName.isEmpty {
            copy.catalogue.platformName = platformName
            for locale in copy.catalogue.locales.keys { copy.catalogue.locales[locale]?.platformName = nil }
        }
        return copy
    }

    /// What the bot says besides notices, and its labels, from the same templates and catalogue.
    public var replies: ChatReplyRenderer { ChatReplyRenderer(templates: templates, catalogue: catalogue) }

    /// The longest text each channel accepts. Telegram allows 4,096 UTF-16 code units after
    /// entity parsing; Slack a section block's 3,000 characters. Both are checked against the
    /// UTF-16 length of the marked-up text, which is never shorter than what the user sees.
    public static func characterLimit(for channel: Channel) -> Int {
        switch channel {
        case .telegram: 4_096
        case .slack: 3_000
        }
    }

    public static func format(for channel: Channel) -> RenderedMessage.Format {
        switch channel {
        case .telegram: .html
        case .slack: .mrkdwn
        }
    }

    /// More names than this make a wall of text; the rest are counted instead. Callers need
    /// load no more of an incident's robots than this.
    public static let maxListedRobots = 20

    /// Renders the incident's message for a channel. An unknown locale falls back to English.
    /// `robots` are the first of the incident's robots in halt order (its totals count the
    /// rest): at most `maxListedRobots` are listed by name, the rest counted as "…and K more";
    /// when the text is still over the channel's limit, names are cut to 64 characters and
    /// then fewer robots are listed until it fits.
    public func render(
        _ incident: Incident,
        robots: [Incident.AffectedRobot],
        channel: Channel,
        locale: String = "en",
        kind: MessageKind = .guidance
    ) throws(Error) -> RenderedMessage {
        guard let found = templates.library(locale: locale, channel: channel) else {
            // Unreachable: `TemplateDirectory.load` requires English for every channel.
            throw .missingFile(path: "\(TemplateDirectory.defaultLocale)/\(channel.rawValue)", directory: templates.directory)
        }
        let (usedLocale, library) = found
        let catalogue = catalogue.localized(to: usedLocale)
        guard let exchange = catalogue.exchanges[incident.exchange] else {
            throw .unknownExchange(incident.exchange, known: catalogue.exchangeIDs.sorted())
        }
        let base = kind == .resolved ? "resolved" : incident.cause.rawValue
        let specific = "\(base).\(incident.exchange)"
        let name = library.names.contains(specific) ? specific : base
        let context = MessageContext(
            incident: incident,
            robots: robots,
            catalogue: catalogue,
            exchange: exchange,
            channel: channel,
            kind: kind
        )
        let limit = Self.characterLimit(for: channel)

        func attempt(_ listing: MessageContext.RobotListing) -> String {
            Self.tidy(library.mustache.render(context.values(listing), withTemplate: name) ?? "")
        }
        func fits(_ text: String) -> Bool { text.utf16.count <= limit }
        func message(_ text: String, shown: Int) -> RenderedMessage {
            RenderedMessage(
                text: text,
                format: Self.format(for: channel),
                locale: usedLocale,
                omittedRobots: max(0, incident.totals.robots - shown)
            )
        }

        let listed = min(robots.count, Self.maxListedRobots)
        let whole = attempt(.init(shown: listed, nameLimit: nil))
        if fits(whole) { return message(whole, shown: listed) }
        let shortNames = attempt(.init(shown: listed, nameLimit: MessageContext.shortNameLimit))
        if fits(shortNames) { return message(shortNames, shown: listed) }

        // The longest prefix of the robot list that still fits, found by bisection.
        var low = 0
        var high = listed - 1
        var best: (text: String, shown: Int)?
        while low <= high {
            let middle = (low + high) / 2
            let text = attempt(.init(shown: middle, nameLimit: MessageContext.shortNameLimit))
            if fits(text) {
                best = (text, middle)
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        guard let best else {
            let folded = attempt(.init(shown: 0, nameLimit: MessageContext.shortNameLimit))
            throw .messageTooLong(
                template: "\(usedLocale)/\(channel.rawValue)/\(name).\(TemplateDirectory.fileExtension)",
                length: folded.utf16.count,
                limit: limit
            )
        }
        return message(best.text, shown: best.shown)
    }

    /// Templates stay readable with blank lines around sections; the message should not show
    /// them. Trailing spaces go, runs of blank lines become one, and the ends are trimmed.
    static func tidy(_ text: String) -> String {
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = line
            while let last = line.last, last == " " || last == "\t" { line = line.dropLast() }
            if line.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
