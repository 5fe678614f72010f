import Foundation
import Mustache
import RebindCore

/// The parsed templates of a templates directory: one Mustache library per locale and channel,
/// laid out as `<locale>/<channel>/<name>.mustache`.
///
/// Everything is read, parsed and checked up front, so a broken or missing template stops
/// start-up with its file name instead of producing an empty message later.
struct TemplateDirectory: Sendable {
    struct Key: Hashable, Sendable {
        var locale: String
        var channel: Channel
    }

    struct Library: Sendable {
        var mustache: MustacheLibrary
        var names: Set<String>
    }

    var directory: String
    var libraries: [Key: Library]

    static let defaultLocale = "en"
    /// A template per cause, and the resolved message.
    static let requiredTemplates = Cause.allCases.map(\.rawValue) + ["resolved"]
    /// Subfolders of a channel's folder: the chat replies and the plain-text labels. Their
    /// templates are named `replies/<name>` and `labels/<name>`; partials (`_name`) keep their
    /// bare name, shared with the folder's own.
    static let subfolders = ["replies", "labels"]
    /// What the default locale must have besides the causes: every reply and label. Other
    /// locales fall back to it name by name.
    static let requiredReplies = ChatReplyRenderer.templateNames
    static let fileExtension = "mustache"
    /// Slack values are escaped in Swift (see `Mrkdwn`), so Mustache must not escape them again.
    static let slackPrologue = "{{% CONTENT_TYPE: TEXT }}\n"

    static func load(from source: TemplateFiles, exchanges: [String]) throws(GuidanceRenderer.Error) -> TemplateDirectory {
        var locales = Set(source.subfolders(of: "").filter { ![WebPages.folder, ConsolePages.folder, DemoPages.folder].contains($0) })
        locales.insert(defaultLocale)
        var libraries: [Key: Library] = [:]
        for locale in locales.sorted() {
            for channel in Channel.allCases {
                let relative = "\(locale)/\(channel.rawValue)"
                // Another locale may cover only some channels; English is the fallback for all.
                if !source.isFolder(relative) && locale != defaultLocale { continue }
                let library = try loadLibrary(at: relative, channel: channel, exchanges: exchanges, source: source)
                libraries[Key(locale: locale, channel: channel)] = library
            }
        }
        return TemplateDirectory(directory: source.origin, libraries: libraries)
    }

    /// The library for a locale, falling back from "pt-BR" to "pt" and then to English.
    func library(locale: String, channel: Channel) -> (locale: String, library: Library)? {
        let available = libraries.keys.filter { $0.channel == channel }.map(\.locale)
        var candidates = [locale]
        if let language = locale.split(whereSeparator: { $0 == "-" || $0 == "_" }).first {
            candidates.append(String(language))
        }
        candidates.append(Self.defaultLocale)
        for candidate in candidates {
            if let match = available.first(where: { $0.caseInsensitiveCompare(candidate) == .orderedSame }),
                let library = libraries[Key(locale: match, channel: channel)]
            {
                return (match, library)
            }
        }
        return nil
    }

    /// The library that has `name` for a locale: the locale's (after the fallbacks of
    /// `library(locale:channel:)`), else the default locale's.
    func library(having name: String, locale: String, channel: Channel) -> (locale: String, library: Library)? {
        if let found = library(locale: locale, channel: channel), found.library.names.contains(name) { return found }
        guard let fallback = libraries[Key(locale: Self.defaultLocale, channel: channel)], fallback.names.contains(name) else { return nil }
        return (Self.defaultLocale, fallback)
    }

    /// The locales with templates, the default first.
    var locales: [String] {
        let all = Set(libraries.keys.map(\.locale))
        return [Self.defaultLocale] + all.subtracting([Self.defaultLocale]).sorted()
    }

    // MARK: Loading

    static func loadLibrary(
        at relative: String,
        channel: Channel,
        exchanges: [String],
        source: TemplateFiles
    ) throws(GuidanceRenderer.Error) -> Library {
        let suffix = ".\(fileExtension)"
        func templateFiles(in folder: String) -> [String] {
            source.fileNames(in: folder).filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
        }
        // (name, file name relative to the channel's folder)
        var entries = templateFiles(in: relative).map { (String($0.dropLast(suffix.count)), $0) }
        for subfolder in subfolders {
            for fileName in templateFiles(in: "\(relative)/\(subfolder)") {
                let base = String(fileName.dropLast(suffix.count))
                let name = base.hasPrefix("_") ? base : "\(subfolder)/\(base)"
                if entries.contains(where: { $0.0 == name }) {
                    throw .invalidTemplate(
                        path: "\(relative)/\(subfolder)/\(fileName)",
                        line: 0,
                        column: 0,
                        reason: "another template of this folder has the partial name \(name)"
                    )
                }
                entries.append((name, "\(subfolder)/\(fileName)"))
            }
        }
        let names = Set(entries.map(\.0))

        // A template may be split per exchange (`key_expired.okx.mustache`); then every exchange
        // of the catalogue needs its own file, or a shared one must exist.
        if relative.hasPrefix(defaultLocale + "/") {
            let channelOnly = channel == .slack ? ChatReplyRenderer.slackTemplateNames : []
            for required in requiredReplies + channelOnly where !names.contains(required) {
                throw .missingFile(path: "\(relative)/\(required)\(suffix)", directory: source.origin)
            }
        }
        for required in requiredTemplates where !names.contains(required) {
            let perExchange = exchanges.allSatisfy { names.contains("\(required).\($0)") }
            if !perExchange || exchanges.isEmpty {
                throw .missingFile(path: "\(relative)/\(required)\(suffix)", directory: source.origin)
            }
        }

        var mustache = MustacheLibrary()
        var sources: [String: String] = [:]
        for (name, fileName) in entries {
            let path = "\(relative)/\(fileName)"
            var text = try source.text(at: path)
            // A reply's partial is a phrase used inside a sentence ("A Binance {{> _field}} is…"):
            // the line end its file ends with is not part of it.
            if name.hasPrefix("_"), fileName.hasPrefix("replies/"), text.hasSuffix("\n") { text.removeLast() }
            try check(text, path: path, channel: channel)
            let prologue = channel == .slack ? slackPrologue : ""
            do {
                mustache.register(try MustacheTemplate(string: prologue + text), named: name)
            } catch let error as MustacheTemplate.ParserError {
                throw .invalidTemplate(
                    path: path,
                    line: error.context.lineNumber - (prologue.isEmpty ? 0 : 1),
                    column: error.context.columnNumber,
                    reason: String(describing: error.error)
                )
            } catch {
                throw .invalidTemplate(path: path, line: 0, column: 0, reason: String(describing: error))
            }
            sources[name] = text
        }

        // Mustache renders a missing partial as nothing; a typo must not silently drop a section.
        for (name, source) in sources.sorted(by: { $0.key < $1.key }) {
            for partial in partialNames(in: source) where !names.contains(partial) {
                throw .missingPartial(path: "\(relative)/\(name)\(suffix)", partial: partial)
            }
        }
        return Library(mustache: mustache, names: names)
    }

    /// Refuses tags that would get a value past the channel's escaping.
    static func check(_ source: String, path: String, channel: Channel) throws(GuidanceRenderer.Error) {
        for sigil in tagSigils(in: source) {
            switch sigil {
            case "%":
                throw .unsafeTag(path: path, tag: "{{%", reason: "the renderer chooses the escaping for each channel itself")
            case "=":
                throw .unsafeTag(path: path, tag: "{{=", reason: "changing the delimiters hides tags from the escaping check")
            case "{", "&":
                guard channel == .telegram else { continue }
                throw .unsafeTag(
                    path: path,
                    tag: "{{\(sigil)",
                    reason: "on Telegram every value must go through HTML escaping; write {{name}}"
                )
            default:
                continue
            }
        }
    }

    /// The character right after each `{{`.
    static func tagSigils(in source: String) -> [Character] {
        var sigils: [Character] = []
        var rest = source[...]
        while let range = rest.range(of: "{{") {
            rest = rest[range.upperBound...]
            if let sigil = rest.first { sigils.append(sigil) }
        }
        return sigils
    }

    /// Names in `{{> name}}` and `{{< name}}`; dynamic partials (`{{>*name}}`) are left alone.
    static func partialNames(in source: String) -> [String] {
        var names: [String] = []
        var rest = source[...]
        while let range = rest.range(of: "{{") {
            rest = rest[range.upperBound...]
            guard let sigil = rest.first, sigil == ">" || sigil == "<" else { continue }
            let afterSigil = rest.dropFirst().drop(while: \.isWhitespace)
            guard afterSigil.first != "*" else { continue }
            let name = afterSigil.prefix { !$0.isWhitespace && $0 != "}" }
            if !name.isEmpty { names.append(String(name)) }
        }
        return names
    }
}
