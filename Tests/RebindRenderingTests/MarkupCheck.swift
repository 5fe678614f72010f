/// Checks that a rendered message is markup its chat platform accepts, the way the platform
/// parses it. Each returns the problems found; an empty list means the text is valid.
enum MarkupCheck {
    /// Telegram's `parse_mode: HTML`: only its tags, properly nested; every `<`, `>` and `&`
    /// outside a tag is an entity Telegram knows.
    static func telegramHTML(_ text: String) -> [String] {
        let allowedTags: Set<String> = [
            "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
            "tg-spoiler", "span", "blockquote",
        ]
        var problems: [String] = []
        var open: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            switch character {
            case "<":
                guard let close = text[index...].firstIndex(of: ">") else {
                    problems.append("unclosed '<' at offset \(text.distance(from: text.startIndex, to: index))")
                    return problems
                }
                let tag = text[text.index(after: index)..<close]
                if tag.contains("<") { problems.append("'<' inside tag <\(tag)>") }
                if tag.hasPrefix("/") {
                    let name = String(tag.dropFirst())
                    if open.last == name { open.removeLast() } else { problems.append("unbalanced </\(name)>") }
                } else {
                    let name = String(tag.prefix { !$0.isWhitespace })
                    if !allowedTags.contains(name) { problems.append("tag <\(name)> is not allowed") }
                    if name == "a", !(tag.contains("href=\"") && tag.hasSuffix("\"")) {
                        problems.append("link without a quoted href: <\(tag)>")
                    }
                    problems += entityProblems(String(tag), known: ["amp", "lt", "gt", "quot"])
                    open.append(name)
                }
                index = text.index(after: close)
                continue
            case ">":
                problems.append("raw '>' outside a tag")
            case "&":
                problems += entityProblems(String(text[index...].prefix(12)), known: ["amp", "lt", "gt", "quot"], onlyFirst: true)
            default:
                break
            }
            index = text.index(after: index)
        }
        if !open.isEmpty { problems.append("unclosed tags: \(open)") }
        return problems
    }

    /// Slack mrkdwn: `<` only opens a link `<https://…|label>`; `&` only starts &amp; &lt; &gt;.
    static func slackMrkdwn(_ text: String) -> [String] {
        var problems: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            switch character {
            case "<":
                guard let close = text[index...].firstIndex(of: ">") else {
                    problems.append("unclosed '<'")
                    return problems
                }
                let link = text[text.index(after: index)..<close]
                if !link.hasPrefix("https://") || link.contains("<") {
                    problems.append("'<' that is not a link: <\(link)>")
                }
                problems += entityProblems(String(link), known: ["amp", "lt", "gt"])
                index = text.index(after: close)
                continue
            case ">":
                problems.append("raw '>' outside a link")
            case "&":
                problems += entityProblems(String(text[index...].prefix(12)), known: ["amp", "lt", "gt"], onlyFirst: true)
            default:
                break
            }
            index = text.index(after: index)
        }
        return problems
    }

    /// Every `&` in `text` must start one of the `known` entities or a numeric one.
    static func entityProblems(_ text: String, known: Set<String>, onlyFirst: Bool = false) -> [String] {
        var problems: [String] = []
        var rest = text[...]
        while let ampersand = rest.firstIndex(of: "&") {
            let after = rest[rest.index(after: ampersand)...]
            let name = after.prefix { $0 != ";" && $0 != "&" }
            let isComplete = after.dropFirst(name.count).first == ";"
            let isNumeric = name.hasPrefix("#") && name.count > 1 && name.dropFirst().allSatisfy(\.isNumber)
            if !isComplete || !(known.contains(String(name)) || isNumeric) {
                problems.append("broken entity at \"&\(after.prefix(8))\"")
            }
            if onlyFirst { break }
            rest = after
        }
        return problems
    }

    static func problems(_ text: String, for format: String) -> [String] {
        format == "html" ? telegramHTML(text) : slackMrkdwn(text)
    }
}
